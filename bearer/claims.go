package bearer

import (
	"context"
	"encoding/json"
	"iter"
	"reflect"
	"sync/atomic"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// Claims is the verified claim set of a JWT, as decoded by encoding/json
// (numbers are float64, arrays []any, objects map[string]any). It is what
// Principal.Claims holds for a JWT (with Config.Custom too), and what
// Config.Validate is given.
//
// Claims is read-only: one claim set is shared by every request that
// presents the same cached token, so it hands out copies. [Claims.Get],
// [Claims.All] and [Claims.Map] copy arrays and objects (strings, numbers,
// booleans and null need no copy); nothing a caller does to what they
// return changes the claim set. The claims of a token are decoded into
// their map when one of its methods is first called, once per token (the
// Authenticator itself reads the claims it needs without the map; requests
// that first call one at the same moment may each decode it, and all get
// the one map kept); after
// that, reading a string claim with [Claims.String] costs nothing. The
// zero Claims is empty.
type Claims struct {
	s *claimSet
}

// A claimSet is a claim set as a map, given (NewClaims) or decoded on
// first use from the verified payload segment.
type claimSet struct {
	seg string // the payload segment, base64url; "" when m is given
	// m is the map once decoded from seg (or given): readers that find it
	// nil decode seg, and the first map stored is the one every reader
	// gets.
	m atomic.Pointer[map[string]any]
	// custom is the *C Config.Custom decoded the claims into, shared by
	// every request presenting the token and handed out only as a deep
	// copy (CustomOf); nil without Config.Custom.
	custom any
}

// claims returns the claim set's map, decoding it on first use.
func (c Claims) claims() map[string]any {
	s := c.s
	if s == nil {
		return nil
	}
	if p := s.m.Load(); p != nil {
		return *p
	}
	if s.seg == "" {
		return nil
	}
	m := s.decode()
	s.m.CompareAndSwap(nil, &m)
	return *s.m.Load()
}

// decode decodes seg as golang-jwt decodes a claim set (strict base64url,
// then json.Unmarshal into a map). The Authenticator accepted seg only
// because compact.AppendDecode and compact.DecodeObject did, which accept
// exactly what those accept, so it cannot fail; if it did, the set would
// read as empty.
func (s *claimSet) decode() map[string]any {
	var m map[string]any
	raw, ok := compact.AppendDecode(nil, s.seg)
	if ok && json.Unmarshal(raw, &m) == nil {
		return m
	}
	return nil
}

// NewClaims returns Claims holding a deep copy of m's arrays ([]any) and
// objects (map[string]any); values of other types are kept as given and
// must not be modified afterwards. It is for tests and for middleware
// that builds a Principal from claims verified elsewhere.
func NewClaims(m map[string]any) Claims {
	if m == nil {
		return Claims{}
	}
	s := &claimSet{}
	c := copyObject(m)
	s.m.Store(&c)
	return Claims{s: s}
}

// Get returns the claim name and whether the claim set has it (a null
// claim is present, with a nil value). An array or object is returned as a
// copy.
func (c Claims) Get(name string) (any, bool) {
	v, ok := c.claims()[name]
	return copyValue(v), ok
}

// String returns the claim name when it is a string.
func (c Claims) String(name string) (string, bool) {
	s, ok := c.claims()[name].(string)
	return s, ok
}

// Len returns the number of claims.
func (c Claims) Len() int { return len(c.claims()) }

// All yields every claim, in no particular order, arrays and objects as
// copies.
func (c Claims) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for name, v := range c.claims() {
			if !yield(name, copyValue(v)) {
				return
			}
		}
	}
}

// MarshalJSON encodes the claim set as the JSON object it was decoded from
// (null for the zero Claims).
func (c Claims) MarshalJSON() ([]byte, error) { return json.Marshal(c.claims()) }

// Map returns a deep copy of the claim set, nil for the zero Claims.
func (c Claims) Map() map[string]any {
	m := c.claims()
	if m == nil {
		return nil
	}
	return copyObject(m)
}

// copyValue returns v, with arrays and objects copied deeply.
func copyValue(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyValue(e)
		}
		return out
	case map[string]any:
		return copyObject(v)
	}
	return v
}

func copyObject(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

// ClaimsFrom returns the verified JWT claims of the request's Principal, and
// whether there were any (false for opaque tokens and for other
// authentication methods).
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	p, ok := gatehouse.PrincipalRefFrom(ctx)
	if !ok {
		return Claims{}, false
	}
	c, ok := p.Claims.(Claims)
	return c, ok
}

// TokenRecordFrom returns the stored record of the request's opaque token,
// and whether the request was authenticated with one. The record is the
// request's own (TokenStore lookups are per request).
func TokenRecordFrom(ctx context.Context) (TokenRecord, bool) {
	p, ok := gatehouse.PrincipalRefFrom(ctx)
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
// into a new C with encoding/json (which matches member names to untagged
// fields case-insensitively) and then validates it. A claim set in which
// two members decode into the same field of C — the same name twice, or
// "role" and "ROLE" for a field "role" — is refused with 401
// invalid_token: encoding/json would keep the last one, which need not be
// the one another reader of the token sees. It then validates: first C's own
// Validate method when *C implements [ClaimsValidator], then validate when
// it is not nil. An error refuses the token with 401 (its text is never
// sent to the client). The registered claims are still checked by the
// Authenticator as usual; C only needs the fields the application uses.
// With Config.Custom set, Principal.Claims is still the token's [Claims];
// the *C, shared by every request presenting the token, is read with
// [CustomFrom] or [CustomOf], which return the caller's own deep copy, so
// that no handler can change it for another request.
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
	if err := checkAmbiguous(payload, reflect.TypeFor[C]()); err != nil {
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
// Principal, and whether there were claims of type C: [CustomOf] of the
// Principal in ctx.
func CustomFrom[C any](ctx context.Context) (*C, bool) {
	p, ok := gatehouse.PrincipalRefFrom(ctx)
	if !ok {
		return nil, false
	}
	return CustomOf[C](*p)
}

// CustomOf returns the claims decoded by Config.Custom for p (as the
// Authenticator's Check returns it, or a handler reads it), and whether
// there were claims of type C. The *C is the caller's own deep copy of the
// claims cached with the token: its pointers, slices, maps, arrays,
// interfaces and exported struct fields (those promoted from an embedded
// struct of an unexported type included) are copied all the way down, so
// a caller that changes it changes nothing for other requests. Other
// unexported fields are copied shallowly: a type whose own UnmarshalJSON keeps
// pointers, slices or maps in unexported fields shares what they refer
// to, and must not be changed through them. The copy costs one allocation
// per pointer, slice and map of the claims.
func CustomOf[C any](p gatehouse.Principal) (*C, bool) {
	cl, ok := p.Claims.(Claims)
	if !ok || cl.s == nil {
		return nil, false
	}
	c, ok := cl.s.custom.(*C)
	if !ok || c == nil {
		return nil, false
	}
	return deepCopy(c), true
}
