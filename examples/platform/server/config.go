package server

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
)

// Defaults for zero Config fields and unset environment variables.
const (
	DefaultTenant   = "acme"
	DefaultTokenTTL = time.Hour

	DefaultResellerUsername = "partner"
	DefaultResellerPassword = "partner-demo-password"
	DefaultResellerID       = "ptn_1001"
	DefaultCustomerEmail    = "jane@acme.example"
	DefaultCustomerPassword = "customer-demo-password"
	DefaultCustomerID       = "cus_1001"
)

// The scopes the platform's routes require.
const (
	ScopeOrdersRead    = "orders:read"
	ScopeOrdersWrite   = "orders:write"
	ScopeAccountRead   = "account:read"
	ScopeChargesRead   = "charges:read"
	ScopeChargesWrite  = "charges:write"
	ScopeProductsRead  = "products:read"
	ScopeProductsWrite = "products:write"
)

// The API surfaces; API keys list the ones they may call in Record.Surfaces,
// and the JWT surfaces are the audiences of their tokens.
const (
	SurfaceReseller   = "reseller"
	SurfaceStorefront = "storefront"
	SurfacePayment    = "payment"
	SurfaceSupplier   = "supplier"
)

// An Account is a login identity of a JWT surface.
type Account struct {
	// Username is the login name: the partner's user name (Reseller API)
	// or the customer's e-mail address (Storefront API). Required.
	Username string
	// Password is the login password; only its bcrypt hash is kept. Required.
	Password string
	// ID is the account identifier carried as the tokens' "sub" claim (the
	// customer identifier of seed 003). Empty means DefaultResellerID or
	// DefaultCustomerID.
	ID string
	// Scopes are granted to the account's tokens. Nil means the surface's
	// defaults: orders:read orders:write for a partner, account:read
	// orders:read for a customer. An empty non-nil slice grants none.
	Scopes []string
}

// Config configures the platform. The two accounts' credentials and the two
// API keys are required; every other zero field has the default its comment
// names.
type Config struct {
	// Tenant is the platform tenant the accounts and API keys belong to,
	// and the tenant an API-key request names when it sends no X-Tenant-ID.
	// Empty means DefaultTenant ("acme").
	Tenant string

	// JWTSecret is the HS256 key of both JWT surfaces, at least 32 bytes.
	// Nil means a random key, so tokens die with the process.
	JWTSecret []byte
	// TokenTTL is the lifetime of access tokens; 0 means DefaultTokenTTL.
	TokenTTL time.Duration

	// Reseller is the partner account of POST /Token/Generate.
	Reseller Account
	// Customer is the end-user account of POST /Storefront/Login.
	Customer Account
	// BcryptCost is the cost of the password hashes; 0 means bcrypt's
	// default (10). Tests use bcrypt.MinCost.
	BcryptCost int
	// LoginAttempts is how many failed logins an address or a user name may
	// make per 15 minutes before 429; 0 means 10.
	LoginAttempts int
	// KeyAttempts is how many refused API keys (401) an address may send
	// per 15 minutes before its API-key requests get 429, a valid key's
	// included, until the window ends; 0 means 10.
	KeyAttempts int

	// SupplierKey and PaymentKey are the tenant's API keys for the Supplier
	// and Payment APIs, as sent in the ApiKey header: keys from Generate
	// ("ak_live_…") or keys issued elsewhere such as seed 003's
	// ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d (visible ASCII, no comma, at
	// most 128 bytes). Only their SHA-256 is kept. Required, and distinct.
	SupplierKey, PaymentKey string

	// Audit receives every authentication decision; nil means none.
	// Events never carry keys, tokens or passwords.
	Audit gatehouse.Auditor
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// withDefaults returns cfg with its zero fields set, or the first problem.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Tenant == "" {
		cfg.Tenant = DefaultTenant
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.LoginAttempts == 0 {
		cfg.LoginAttempts = 10
	}
	if cfg.KeyAttempts == 0 {
		cfg.KeyAttempts = 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Reseller.ID == "" {
		cfg.Reseller.ID = DefaultResellerID
	}
	if cfg.Reseller.Scopes == nil {
		cfg.Reseller.Scopes = []string{ScopeOrdersRead, ScopeOrdersWrite}
	}
	if cfg.Customer.ID == "" {
		cfg.Customer.ID = DefaultCustomerID
	}
	if cfg.Customer.Scopes == nil {
		cfg.Customer.Scopes = []string{ScopeAccountRead, ScopeOrdersRead}
	}
	var errs []error
	if !validTenant(cfg.Tenant) {
		errs = append(errs, fmt.Errorf("platform: tenant %q must be 1-64 characters of [a-z0-9_-]", cfg.Tenant))
	}
	if cfg.JWTSecret != nil && len(cfg.JWTSecret) < 32 {
		errs = append(errs, errors.New("platform: the JWT secret must be at least 32 bytes (HS256, RFC 7518 §3.2)"))
	}
	if cfg.TokenTTL < time.Second {
		errs = append(errs, errors.New("platform: the token lifetime must be at least 1s"))
	}
	if cfg.LoginAttempts < 0 {
		errs = append(errs, errors.New("platform: LoginAttempts must not be negative"))
	}
	if cfg.KeyAttempts < 0 {
		errs = append(errs, errors.New("platform: KeyAttempts must not be negative"))
	}
	for _, a := range []struct {
		name string
		acct Account
	}{{"reseller", cfg.Reseller}, {"customer", cfg.Customer}} {
		if a.acct.Username == "" || a.acct.Password == "" {
			errs = append(errs, fmt.Errorf("platform: the %s account needs a user name and a password", a.name))
		}
	}
	for _, k := range []struct{ name, key string }{{"supplier", cfg.SupplierKey}, {"payment", cfg.PaymentKey}} {
		if !validKey(k.key) {
			errs = append(errs, fmt.Errorf("platform: the %s API key must be 16-128 visible ASCII characters without a comma", k.name))
		}
	}
	if cfg.SupplierKey != "" && cfg.SupplierKey == cfg.PaymentKey {
		errs = append(errs, errors.New("platform: the supplier and payment API keys must differ"))
	}
	return cfg, errors.Join(errs...)
}

// validTenant reports whether t is a tenant name the platform accepts.
func validTenant(t string) bool {
	if len(t) == 0 || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// validKey reports whether key can be sent in the ApiKey header and
// accepted by apikey.FormatOpaque. Sixteen characters is a floor against
// obvious mistakes, not an entropy check: import only keys of at least 128
// random bits (see package apikey).
func validKey(key string) bool {
	if len(key) < 16 || len(key) > apikey.DefaultMaxLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return false
		}
	}
	return true
}

// The environment variables FromEnv reads.
const (
	EnvJWTSecret        = "JWT_SECRET"
	EnvTenant           = "PLATFORM_TENANT"
	EnvSupplierKey      = "SUPPLIER_API_KEY"
	EnvPaymentKey       = "PAYMENT_API_KEY"
	EnvResellerUsername = "RESELLER_USERNAME"
	EnvResellerPassword = "RESELLER_PASSWORD"
	EnvResellerScopes   = "RESELLER_SCOPES"
	EnvCustomerEmail    = "CUSTOMER_EMAIL"
	EnvCustomerPassword = "CUSTOMER_PASSWORD"
	EnvCustomerScopes   = "CUSTOMER_SCOPES"
	EnvTokenTTL         = "TOKEN_TTL"
)

// FromEnv reads a Config from the environment through getenv (os.Getenv in
// production, a map in tests):
//
//	JWT_SECRET          HS256 key, at least 32 bytes (unset: random per start)
//	PLATFORM_TENANT     the tenant (default "acme")
//	SUPPLIER_API_KEY    the tenant's Supplier API key (unset: generated)
//	PAYMENT_API_KEY     the tenant's Payment API key (unset: generated)
//	RESELLER_USERNAME   partner login (default "partner")
//	RESELLER_PASSWORD   partner password (default "partner-demo-password")
//	RESELLER_SCOPES     partner token scopes, space-separated (default "orders:read orders:write")
//	CUSTOMER_EMAIL      customer login (default "jane@acme.example")
//	CUSTOMER_PASSWORD   customer password (default "customer-demo-password")
//	CUSTOMER_SCOPES     customer token scopes (default "account:read orders:read")
//	TOKEN_TTL           access-token lifetime, a Go duration (default 1h)
//
// Unset API keys are generated with apikey.Generate("live"); the caller
// prints them, since they exist nowhere else. The result has New's defaults
// filled in and is validated as New would validate it.
func FromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Tenant:      getenv(EnvTenant),
		SupplierKey: getenv(EnvSupplierKey),
		PaymentKey:  getenv(EnvPaymentKey),
		Reseller: Account{
			Username: or(getenv(EnvResellerUsername), DefaultResellerUsername),
			Password: or(getenv(EnvResellerPassword), DefaultResellerPassword),
			Scopes:   scopeList(getenv(EnvResellerScopes)),
		},
		Customer: Account{
			Username: or(getenv(EnvCustomerEmail), DefaultCustomerEmail),
			Password: or(getenv(EnvCustomerPassword), DefaultCustomerPassword),
			Scopes:   scopeList(getenv(EnvCustomerScopes)),
		},
	}
	if s := getenv(EnvJWTSecret); s != "" {
		cfg.JWTSecret = []byte(s)
	}
	if s := getenv(EnvTokenTTL); s != "" {
		ttl, err := time.ParseDuration(s)
		if err != nil {
			return cfg, fmt.Errorf("platform: %s %q is not a Go duration such as 15m or 1h", EnvTokenTTL, s)
		}
		cfg.TokenTTL = ttl
	}
	for _, k := range []*string{&cfg.SupplierKey, &cfg.PaymentKey} {
		if *k == "" {
			key, _, err := apikey.Generate("live")
			if err != nil {
				return cfg, err
			}
			*k = key
		}
	}
	return cfg.withDefaults()
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// scopeList splits a space-separated scope list; "" means nil (the default).
func scopeList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return gatehouse.ParseScope(s)
}
