package apikey

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	gatehouse "github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Format says which header values are candidate keys before any hashing.
type Format uint8

const (
	// FormatStandard, the default, accepts only keys in this package's
	// format (see [ParseKey]): a wrong prefix, environment or checksum is
	// refused without hashing and without a store lookup.
	FormatStandard Format = iota
	// FormatOpaque accepts any value of visible ASCII characters other than
	// the comma, up to Config.MaxLength. It is for keys issued elsewhere,
	// such as short fixed keys ("ABCD") or hex keys, and should only be
	// used for keys of at least 128 bits of entropy (see "Hashing" in the
	// package README).
	FormatOpaque
)

// Defaults for zero Config fields.
const (
	DefaultHeader        = "ApiKey"
	DefaultMaxLength     = 128
	DefaultTouchInterval = time.Minute
)

// Config configures an [Authenticator]. Only Store is required; every other
// zero field has the documented default.
type Config struct {
	// Store holds the key records. Required.
	Store Store

	// Header names the request header that carries the key. Header names
	// are case-insensitive: "apikey" and "APIKEY" are the same header. The
	// key is never read from the query string. Default: DefaultHeader
	// ("ApiKey").
	Header string
	// Format chooses which values are candidate keys. Default:
	// FormatStandard.
	Format Format
	// Environments lists the only key environments accepted
	// (FormatStandard only), e.g. []string{"live"} in production: a test
	// key is then refused without a store lookup. Default: none (every
	// environment).
	Environments []string
	// MaxLength caps the header value's length in bytes; longer values are
	// refused before hashing. Default: DefaultMaxLength (128).
	MaxLength int

	// Tenant returns the tenant the request names (see [TenantHeader],
	// [TenantHeaderOr], [TenantPathValue], [TenantSubdomain]). A key whose
	// Record.Tenant differs, or a request naming no tenant (""), is
	// refused with 401. Default: nil (keys are not bound to a requested
	// tenant).
	Tenant func(*http.Request) string
	// Surface names the API surface this middleware guards ("payment",
	// "supplier"). A key that does not list it in Record.Surfaces is
	// refused with 403. Default: "" (any valid key may pass).
	Surface string

	// TouchInterval is how stale Record.LastUsed may get before a request
	// the Middleware admits refreshes it with Store.Touch; negative
	// disables last-used tracking. It bounds last-used writes to one per
	// key per interval and Authenticator, however many requests the key
	// makes and whether or not the write succeeds: a store that refuses
	// writes is tried again an interval later, not on every request.
	// Default: DefaultTouchInterval (one minute).
	TouchInterval time.Duration

	// Throttle limits failed key attempts per ThrottleKey, in the
	// Middleware: every request that carries the key header is counted
	// with Throttle.Begin before its key is checked (a refusal, such as a
	// 429 with Retry-After from ratelimit.FailureThrottle, is answered as
	// it is, before any hashing or store lookup), and taken back with
	// Throttle.Succeed when the key turns out good (403 on another surface
	// included) or the key store fails. Every 401 for a presented key stays
	// counted. Good keys do not reset the count, so one valid key cannot be
	// interleaved with guesses; once the limit is reached, a valid key from
	// the same throttle key is refused too until the window ends.
	// Default: nil (no throttling).
	Throttle Throttle
	// ThrottleKey names the counter a request is charged to; an empty key
	// is not throttled. ratelimit.ByIP also groups IPv6 clients by /64.
	// Default: the client address ("ip:" + gatehouse.ClientAddr, the
	// address an ipallow.Resolver resolved when one runs first).
	ThrottleKey func(*http.Request) string

	// Unauthorized, Forbidden and Unavailable are the errors refusals are
	// derived from (their Message is replaced by the specific refusal's).
	// Set them to change the name, the string code or the numeric code,
	// e.g.
	//	Unauthorized: envelope.ErrUnauthorized.WithNumber(-23)
	// Their Status must be 401, 403 and 5xx respectively. Default:
	// envelope.ErrUnauthorized, envelope.ErrForbidden and
	// envelope.ErrUnavailable.
	Unauthorized, Forbidden, Unavailable *envelope.Error
	// Realm is the realm parameter of the WWW-Authenticate challenge sent
	// with every 401 (see the gatehouse package documentation). Default:
	// "" (no realm parameter).
	Realm string
	// Challenge replaces the WWW-Authenticate value sent with every 401
	// (RFC 9110 §15.5.2 requires one). There is no registered HTTP
	// authentication scheme for API keys, so by default the scheme is the
	// key header's name as written in Header, with Realm — `ApiKey` for
	// the default header, `X-API-Key realm="payments"` for Header
	// "X-API-Key" and Realm "payments" — which tells a client where the
	// key goes. When Challenge is empty and Unauthorized carries a
	// challenge of its own, that one is sent. A Challenge must start with
	// a token (the scheme) and contain no control characters. Challenges
	// never change the response body. Default: "" (as described).
	Challenge string
	// Style renders refusals. Default: the style chosen with envelope.Use,
	// else envelope.Nested.
	Style envelope.Style
	// Audit receives one event per decision of the Middleware. Optional.
	Audit gatehouse.Auditor
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// validate checks cfg and fills in defaults.
func (cfg *Config) validate() error {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("a Store is required"))
	}
	if cfg.Header == "" {
		cfg.Header = DefaultHeader
	}
	if !validHeaderName(cfg.Header) {
		errs = append(errs, fmt.Errorf("the Header %q is not a valid header name", cfg.Header))
	}
	if cfg.Challenge != "" && !validChallenge(cfg.Challenge) {
		errs = append(errs, fmt.Errorf("the Challenge %q does not start with a scheme or has control characters", cfg.Challenge))
	}
	if cfg.Challenge == "" && cfg.Unauthorized != nil {
		cfg.Challenge = cfg.Unauthorized.Challenge
	}
	if cfg.Challenge == "" {
		// A header name is an RFC 9110 token, so it is a valid scheme.
		cfg.Challenge = cfg.Header
		if cfg.Realm != "" {
			cfg.Challenge += " realm=" + envelope.QuotedString(cfg.Realm)
		}
	}
	cfg.Header = textproto.CanonicalMIMEHeaderKey(cfg.Header)
	switch cfg.Format {
	case FormatStandard:
		for _, env := range cfg.Environments {
			if !validEnv(env) {
				errs = append(errs, fmt.Errorf("the environment %q in Environments is not 1-16 characters of [a-z0-9]", env))
			}
		}
	case FormatOpaque:
		if len(cfg.Environments) > 0 {
			errs = append(errs, errors.New("the Environments list needs FormatStandard"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown Format %d", cfg.Format))
	}
	switch {
	case cfg.MaxLength == 0:
		cfg.MaxLength = DefaultMaxLength
	case cfg.MaxLength < 0:
		errs = append(errs, errors.New("a negative MaxLength"))
	case cfg.Format == FormatStandard && cfg.MaxLength < maxKeyLen:
		// Shorter caps would refuse valid keys of long environments; allow
		// them only when every accepted environment fits.
		for _, env := range cfg.Environments {
			if n := len(KeyPrefix) + len(env) + 1 + tailLen; n > cfg.MaxLength {
				errs = append(errs, fmt.Errorf("a MaxLength of %d refuses keys of environment %q (%d bytes)", cfg.MaxLength, env, n))
			}
		}
		if len(cfg.Environments) == 0 {
			errs = append(errs, fmt.Errorf("a MaxLength of %d is below the longest key (%d bytes); list Environments or raise it", cfg.MaxLength, maxKeyLen))
		}
	}
	if cfg.ThrottleKey == nil {
		cfg.ThrottleKey = clientAddrKey
	}
	if cfg.TouchInterval == 0 {
		cfg.TouchInterval = DefaultTouchInterval
	}
	check := func(name string, e **envelope.Error, def *envelope.Error, ok func(int) bool) {
		if *e == nil {
			*e = def
		} else if !ok((*e).Status) {
			errs = append(errs, fmt.Errorf("%s has status %d", name, (*e).Status))
		}
	}
	check("Unauthorized", &cfg.Unauthorized, envelope.As(envelope.ErrUnauthorized), func(s int) bool { return s == http.StatusUnauthorized })
	check("Forbidden", &cfg.Forbidden, envelope.As(envelope.ErrForbidden), func(s int) bool { return s == http.StatusForbidden })
	check("Unavailable", &cfg.Unavailable, envelope.As(envelope.ErrUnavailable), func(s int) bool { return s >= 500 && s <= 599 })
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c < 0x80 && c > 0x20 && c != 0x7f && !isSeparator(c):
		default:
			return false
		}
	}
	return true
}

// validChallenge reports whether c starts with a scheme (a token, then
// the end or a space) and has no control characters.
func validChallenge(c string) bool {
	scheme, _, _ := strings.Cut(c, " ")
	if !validHeaderName(scheme) {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < 0x20 || c[i] == 0x7f {
			return false
		}
	}
	return true
}

func isSeparator(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return true
	}
	return false
}
