package bearer

import (
	"context"
	"encoding/json"

	"github.com/gatehouse-go/gatehouse"
)

// Claims is the verified claim set of a JWT, as decoded by encoding/json
// (numbers are float64, arrays []any). It is what Principal.Claims holds for
// a JWT unless Config.Custom is set. Treat it as read-only: one value is
// shared by every request that presents the same cached token.
type Claims map[string]any

// String returns the claim name when it is a string.
func (c Claims) String(name string) (string, bool) {
	s, ok := c[name].(string)
	return s, ok
}

// ClaimsFrom returns the verified JWT claims of the request's Principal, and
// whether there were any (false for opaque tokens, for other
// authentication methods, and when Config.Custom is set).
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	p, ok := gatehouse.PrincipalFrom(ctx)
	if !ok {
		return nil, false
	}
	c, ok := p.Claims.(Claims)
	return c, ok
}

// TokenRecordFrom returns the stored record of the request's opaque token,
// and whether the request was authenticated with one.
func TokenRecordFrom(ctx context.Context) (TokenRecord, bool) {
	p, ok := gatehouse.PrincipalFrom(ctx)
	if !ok {
		return TokenRecord{}, false
	}
	rec, ok := p.Claims.(TokenRecord)
	return rec, ok
}

// CustomClaims decodes a verified token's claims into an application type;
// build one with [Custom].
type CustomClaims interface {
	decode(ctx context.Context, payload []byte) (any, error)
}

// A ClaimsValidator is a custom claim type that checks itself; [Custom]
// calls Validate after decoding, before its own validation function.
type ClaimsValidator interface {
	Validate() error
}

type custom[C any] struct {
	validate func(ctx context.Context, c *C) error
}

// Custom returns a [CustomClaims] that decodes each verified token's claims
// into a new C with encoding/json and then validates it: first C's own
// Validate method when *C implements [ClaimsValidator], then validate when
// it is not nil. An error refuses the token with 401 (its text is never
// sent to the client). The registered claims are still checked by the
// Authenticator as usual; C only needs the fields the application uses.
// With Config.Custom set, Principal.Claims holds the *C; read it with
// [CustomFrom].
//
// Decoding and validation are claims-only and run once per token, when it
// is first verified: the *C and the verdict are cached with the token, and
// later requests presenting it do not call validate again. ctx is the
// first request's context, for cancellation only; a check that depends on
// the request, the time or external state belongs in a middleware after
// the Authenticator (reading the claims with CustomFrom), where it runs on
// every request.
func Custom[C any](validate func(ctx context.Context, c *C) error) CustomClaims {
	return custom[C]{validate: validate}
}

func (cc custom[C]) decode(ctx context.Context, payload []byte) (any, error) {
	c := new(C)
	if err := json.Unmarshal(payload, c); err != nil {
		return nil, err
	}
	if v, ok := any(c).(ClaimsValidator); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	if cc.validate != nil {
		if err := cc.validate(ctx, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// CustomFrom returns the claims decoded by Config.Custom for the request's
// Principal, and whether there were claims of type C.
func CustomFrom[C any](ctx context.Context) (*C, bool) {
	p, ok := gatehouse.PrincipalFrom(ctx)
	if !ok {
		return nil, false
	}
	c, ok := p.Claims.(*C)
	return c, ok
}
