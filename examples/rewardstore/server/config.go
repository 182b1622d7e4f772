package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// An Account is a built-in API account (seed 000's "API credentials").
type Account struct {
	Username string
	Password string
	// ClientID is the numeric client id of the login response; the
	// account's IP whitelist is keyed by it.
	ClientID string
	// AllowedIPs are the account's IP whitelist entries (addresses or
	// CIDR prefixes); empty allows every address. They seed the whitelist:
	// New writes them only when Config.Lists holds no list for ClientID,
	// so a list edited in a shared store outlives restarts.
	AllowedIPs []string
}

// Config configures the reward store. The zero Config is usable: a random
// signing secret, no accounts, in-memory stores, seed 000's lifetimes.
type Config struct {
	// JWTSecret signs access tokens (HS256, at least 32 bytes); empty means
	// 32 random bytes, so tokens die with the process.
	JWTSecret []byte
	// Accounts are the login accounts.
	Accounts []Account
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed; empty means only the connection address counts.
	TrustedProxies []string
	// AccessTTL and RefreshTTL are the token lifetimes; zero means 1h and
	// 168h.
	AccessTTL, RefreshTTL time.Duration
	// LoginFailures is how many failed logins a client address or a user
	// name may have per 15 minutes before login answers 429; 0 means 5.
	LoginFailures int

	// Shared state, for several instances behind a load balancer (nil
	// means an in-memory store per instance).
	Refresh     issuer.RefreshStore
	Revocations bearer.RevocationStore
	Lists       ipallow.ListEditor
	Failures    ratelimit.FailureStore
	// ReadAhead, when set, wraps every API route before authentication:
	// the shared store's per-request scope (redisstore.Store.Middleware,
	// with redisstore.Config.AllowlistAccount set to [AllowlistAccount]),
	// so that an API call's revocation check and whitelist read share one
	// Redis round trip. nil means none.
	ReadAhead func(http.Handler) http.Handler

	// BcryptCost hashes the account passwords at start; 0 means
	// bcrypt.DefaultCost (10).
	BcryptCost int
	// Audit receives every access decision; nil means none.
	Audit gatehouse.Auditor
	// Telemetry, when set, records the decisions as metrics (beside
	// Audit), times the authentication steps and the calls of the stores
	// that serve requests. nil means none.
	Telemetry *otelgatehouse.Telemetry
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Defaults of the command's environment.
const (
	DefaultDemoUsername = "demo"
	DefaultDemoPassword = "demo-password"
	DefaultDemoClientID = "123456"

	DefaultPartnerUsername = "partner"
	DefaultPartnerPassword = "partner-password"
	PartnerClientID        = "654321"
)

// Partner is the second built-in account of the default configuration
// (the pure demo: DEMO_PASSWORD and PARTNER_PASSWORD unset), with its
// public default password and without IP restrictions.
var Partner = Account{Username: DefaultPartnerUsername, Password: DefaultPartnerPassword, ClientID: PartnerClientID}

// FromEnv builds a Config from environment variables read through getenv
// (os.Getenv in the command): JWT_SECRET, DEMO_USERNAME, DEMO_PASSWORD,
// DEMO_CLIENT_ID, DEMO_ALLOWED_IPS, DEMO_NEW_USERNAME and
// DEMO_NEW_PASSWORD (seed 001's rotated credentials: a second user name of
// the demo client, with its client id and whitelist), PARTNER_USERNAME,
// PARTNER_PASSWORD and PARTNER_ALLOWED_IPS, TRUSTED_PROXIES, ACCESS_TTL
// and REFRESH_TTL. It fails on an unparsable value, naming the variable
// but never echoing a secret.
//
// The partner account (client id [PartnerClientID]) exists with
// PARTNER_PASSWORD set, and otherwise only in the pure demo, while the demo
// account keeps its public default password too (DEMO_PASSWORD unset):
// then its password is the public [DefaultPartnerPassword]. A server whose
// operator chose the demo account's password has no account with a
// published password.
func FromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	if s := getenv("JWT_SECRET"); s != "" {
		if len(s) < 32 {
			return cfg, errors.New("JWT_SECRET must be at least 32 bytes")
		}
		cfg.JWTSecret = []byte(s)
	}
	demo := Account{
		Username:   orDefault(getenv("DEMO_USERNAME"), DefaultDemoUsername),
		Password:   orDefault(getenv("DEMO_PASSWORD"), DefaultDemoPassword),
		ClientID:   orDefault(getenv("DEMO_CLIENT_ID"), DefaultDemoClientID),
		AllowedIPs: splitList(getenv("DEMO_ALLOWED_IPS")),
	}
	if !numericClientID(demo.ClientID) {
		return cfg, errors.New("DEMO_CLIENT_ID must be a positive integer of 1 to 15 digits without a leading zero (the login response's client_id is a JSON number)")
	}
	if _, err := ipallow.ParsePrefixes(demo.AllowedIPs); err != nil {
		return cfg, fmt.Errorf("DEMO_ALLOWED_IPS: %w", err)
	}
	cfg.Accounts = []Account{demo}
	partner, hasPartner, err := partnerFromEnv(getenv)
	if err != nil {
		return cfg, err
	}
	if hasPartner {
		if demo.Username == partner.Username {
			return cfg, errors.New("DEMO_USERNAME and PARTNER_USERNAME must differ")
		}
		if demo.ClientID == partner.ClientID {
			return cfg, fmt.Errorf("DEMO_CLIENT_ID must differ from the partner account's %s", partner.ClientID)
		}
		cfg.Accounts = append(cfg.Accounts, partner)
	}
	switch next, pw := getenv("DEMO_NEW_USERNAME"), getenv("DEMO_NEW_PASSWORD"); {
	case next == "" && pw == "":
	case next == "" || pw == "":
		return cfg, errors.New("DEMO_NEW_USERNAME and DEMO_NEW_PASSWORD go together")
	case next == demo.Username || hasPartner && next == partner.Username:
		return cfg, errors.New("DEMO_NEW_USERNAME must differ from the other accounts' user names")
	default:
		// Seed 001's rotation: new credentials of the same client, so the
		// same client_id and IP whitelist.
		rotated := demo
		rotated.Username, rotated.Password = next, pw
		cfg.Accounts = append(cfg.Accounts, rotated)
	}
	cfg.TrustedProxies = splitList(getenv("TRUSTED_PROXIES"))
	if _, err := ipallow.ParsePrefixes(cfg.TrustedProxies); err != nil {
		return cfg, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	if cfg.AccessTTL, err = duration(getenv, "ACCESS_TTL", time.Hour); err != nil {
		return cfg, err
	}
	if cfg.RefreshTTL, err = duration(getenv, "REFRESH_TTL", 7*24*time.Hour); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// partnerFromEnv reads the partner account: PARTNER_PASSWORD's, or the
// public default password's while DEMO_PASSWORD is unset too; ok is false
// when there is none. PARTNER_USERNAME and PARTNER_ALLOWED_IPS without an
// account to apply to are an error rather than ignored.
func partnerFromEnv(getenv func(string) string) (a Account, ok bool, err error) {
	a = Account{
		Username:   orDefault(getenv("PARTNER_USERNAME"), DefaultPartnerUsername),
		Password:   getenv("PARTNER_PASSWORD"),
		ClientID:   PartnerClientID,
		AllowedIPs: splitList(getenv("PARTNER_ALLOWED_IPS")),
	}
	if a.Password == "" {
		if getenv("DEMO_PASSWORD") != "" {
			if getenv("PARTNER_USERNAME") != "" || getenv("PARTNER_ALLOWED_IPS") != "" {
				return Account{}, false, errors.New("PARTNER_USERNAME and PARTNER_ALLOWED_IPS need PARTNER_PASSWORD when DEMO_PASSWORD is set (without it there is no partner account)")
			}
			return Account{}, false, nil
		}
		a.Password = DefaultPartnerPassword
	}
	if _, err := ipallow.ParsePrefixes(a.AllowedIPs); err != nil {
		return Account{}, false, fmt.Errorf("PARTNER_ALLOWED_IPS: %w", err)
	}
	return a, true, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	s := getenv(name)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a positive Go duration such as 1h or 90m", name)
	}
	return d, nil
}

// randomSecret returns 32 random bytes.
func randomSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// numericClientID reports whether id is a client id the login response
// sends as a JSON number, as the API does: a positive decimal integer of 1
// to 15 digits (a float64 holds it exactly) without a leading zero.
func numericClientID(id string) bool {
	if len(id) == 0 || len(id) > 15 || id[0] == '0' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
