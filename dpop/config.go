package dpop

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/internal/jwsalg"
)

// Defaults of the zero Config fields.
const (
	defaultWindow        = time.Minute
	defaultNonceLifetime = 5 * time.Minute
	minNonceSecret       = 32
)

// defaultAlgorithms are DefaultAlgorithms: ES256 first, what most DPoP
// clients sign with.
var defaultAlgorithms = []string{"ES256", "ES384", "EdDSA", "PS256", "RS256"}

// DefaultAlgorithms returns the proof algorithms a zero Config.Algorithms
// accepts: ES256, ES384, EdDSA (Ed25519), PS256 and RS256. The slice is the
// caller's own.
func DefaultAlgorithms() []string { return slices.Clone(defaultAlgorithms) }

// Config configures a [Verifier]. The zero value is usable: the default
// algorithms, a one-minute window, a private in-memory replay store, the
// request's own origin, no nonces and the wall clock.
type Config struct {
	// Algorithms lists the JWS algorithms a proof may be signed with:
	// ES256, ES384, ES512, EdDSA (Ed25519 keys), RS256, RS384, RS512,
	// PS256, PS384 or PS512, each named once. HMAC algorithms and "none"
	// can prove no possession of a private key (RFC 9449 §4.2) and are a
	// configuration error, as is any other name. The order is the order
	// of [Verifier.Algorithms] and of the algs challenge parameter.
	// Default: [DefaultAlgorithms].
	Algorithms []string
	// Window is how far a proof's "iat" may lie from the verifier's clock,
	// in either direction: a proof is accepted only while Now is within
	// Window of the time the client says it signed it, which bounds how
	// long a captured proof is of use (RFC 9449 §11.1) and absorbs clock
	// skew of the same size. Proof ids are remembered for twice Window and
	// a second. At most one hour. Default: one minute.
	Window time.Duration
	// Replay remembers the "jti" of every accepted proof, per key, for
	// twice Window and a second, so that a proof is accepted once (RFC
	// 9449 §11.1).
	// Behind several instances pass a shared store (the Redis replay store
	// of redisstore, which also serves tokenendpoint), or a proof could be
	// replayed once per instance. Default: a new [MemoryReplay] on Now with
	// the default bounds (single instance only).
	Replay ReplayStore
	// Origin is the external origin, "https://api.example.com", that
	// clients sign their "htu" for when a proxy in front of the server
	// changes the scheme or the host: the request URI compared with "htu"
	// is Origin followed by the path of the request-target as received
	// (with a prefix-stripping proxy, configure that proxy to keep the
	// path). It is a scheme (http or https) and a host with an optional
	// port, and nothing else. Default: the request's own, https when
	// r.TLS is set, else http, and r.Host.
	Origin string
	// Nonce turns server-provided nonces on (RFC 9449 §8 and §9): every
	// proof must then carry a nonce from [Verifier.Nonce] that is still
	// current, or Verify fails with [ErrUseNonce]. Optional.
	Nonce *NonceConfig
	// Now is the clock that judges "iat" and nonces and that the default
	// replay store runs on. Default: time.Now.
	Now func() time.Time
}

// NonceConfig configures server-provided nonces. The nonces are stateless:
// each is an HMAC, under Secret, of the number of the Lifetime-long time
// period it was minted in, so every instance that shares Secret (and a
// clock, to within Lifetime) mints and accepts the same nonces without a
// store, and the nonce rotates by itself once per Lifetime.
type NonceConfig struct {
	// Secret keys the nonces' HMAC: at least 32 random bytes, the same on
	// every instance behind one origin. Changing it invalidates the
	// outstanding nonces; their clients recover with one use_dpop_nonce
	// round trip. Required.
	Secret []byte
	// Lifetime is the length of a nonce period. A nonce is accepted in the
	// period it was minted in and in the periods before and after it, so
	// it stays valid for at least Lifetime and at most twice Lifetime (three
	// times to an instance whose clock is one period behind). Default: five
	// minutes.
	Lifetime time.Duration // at most 1h: a nonce must rotate
}

// New returns a Verifier configured by cfg, or an error wrapping
// [ErrConfig] that lists every problem of cfg.
func New(cfg Config) (*Verifier, error) {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = defaultAlgorithms
	}
	v := &Verifier{
		algs:    slices.Clone(algs),
		methods: make(map[string]jwt.SigningMethod, len(algs)),
		window:  cfg.Window,
		replay:  cfg.Replay,
		now:     cfg.Now,
	}
	for _, a := range algs {
		switch fam := jwsalg.FamilyOf(a); {
		case fam == "" || fam == jwsalg.HMAC:
			bad("algorithm %q: not an asymmetric JWS algorithm", a)
		case v.methods[a] != nil:
			bad("algorithm %q listed twice", a)
		default:
			v.methods[a] = jwt.GetSigningMethod(a)
		}
	}
	v.algsParam = strings.Join(v.algs, " ")

	switch {
	case cfg.Window < 0 || cfg.Window > time.Hour:
		bad("Window %v: not between 0 and 1h", cfg.Window)
	case cfg.Window == 0:
		v.window = defaultWindow
	}
	if cfg.Origin != "" {
		o, ok := parseOrigin(cfg.Origin)
		if !ok {
			bad("Origin %q: not an http or https origin, scheme://host[:port]", cfg.Origin)
		}
		v.origin = o
	}
	if n := cfg.Nonce; n != nil {
		if len(n.Secret) < minNonceSecret {
			bad("Nonce.Secret: %d bytes, at least %d required", len(n.Secret), minNonceSecret)
		}
		if n.Lifetime < 0 || n.Lifetime > time.Hour {
			bad("Nonce.Lifetime %v: outside [0, 1h]", n.Lifetime)
		}
		v.nonces = &nonces{secret: slices.Clone(n.Secret), lifetime: n.Lifetime}
		if v.nonces.lifetime == 0 {
			v.nonces.lifetime = defaultNonceLifetime
		}
	}
	if v.now == nil {
		v.now = time.Now
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	if v.replay == nil {
		m, err := NewMemoryReplay(MemoryReplayConfig{Now: v.now})
		if err != nil {
			return nil, err
		}
		v.replay = m
	}
	return v, nil
}
