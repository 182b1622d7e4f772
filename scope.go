package gatehouse

import (
	"errors"
	"slices"
	"strings"
)

// ParseScope splits a space-delimited scope string (the RFC 6749 §3.3
// "scope" parameter and the RFC 9068 "scope" claim) into its scopes. The
// delimiter is the space (%x20) alone, as the RFC says: a part containing
// anything but a scope-token's characters (printable ASCII other than
// space, '"' and '\\' — so tabs, Unicode spaces and control characters
// too) is dropped whole, never split into scopes. Runs of spaces yield no
// empty scopes; duplicates are kept once, in first-seen order. It never
// fails.
func ParseScope(s string) []string { return appendScopes(nil, s) }

// ScopeClaim returns the one claim of a decoded JWT claim set that grants
// scopes, and its value: "scope" (RFC 9068) when claims has a member of
// that name, else "scp" (Azure AD, Okta) when it has one, else "scopes";
// and "", nil when it has none of them. Only that claim counts: the others
// are ignored, never merged in.
//
// A claim is present when its name is a key of claims, whatever its value:
// null, "", a number, an object or an array holding no valid scope-token
// all count. A present "scope" therefore decides even when it grants
// nothing, and a token can never widen a narrow or malformed "scope"
// through a broader "scp" or "scopes". Names are matched exactly, as JWT
// claim names are (RFC 7519 §4): "SCP" is not "scp".
func ScopeClaim(claims map[string]any) (name string, value any) {
	for _, name := range [...]string{"scope", "scp", "scopes"} {
		if v, ok := claims[name]; ok {
			return name, v
		}
	}
	return "", nil
}

// ScopesFromClaims returns the scopes a decoded JWT claim set grants: those
// of the claim [ScopeClaim] selects, in the shapes issuers use in the wild:
//
//	"scope":  "a b c"            (RFC 9068, space-delimited string)
//	"scp":    "a b" or ["a","b"] (Azure AD, Okta)
//	"scopes": ["a","b"] or "a b"
//
// Duplicates are kept once. Values of any other type, non-string array
// members and members that are not one scope-token are ignored: a
// malformed claim yields fewer scopes, never a panic and never more. It
// returns nil when the claim grants none.
func ScopesFromClaims(claims map[string]any) []string {
	var buf [16]string // collected on the stack, copied once, exactly sized
	_, v := ScopeClaim(claims)
	scopes := appendScopes(buf[:0], v)
	if len(scopes) == 0 {
		return nil
	}
	return slices.Clone(scopes)
}

// AppendScopes appends the scopes in a claim value v (a space-delimited
// string, or an array of strings as decoded by encoding/json or given as
// []string) to dst, skipping duplicates, and returns the extended slice.
func AppendScopes(dst []string, v any) []string { return appendScopes(dst, v) }

func appendScopes(dst []string, v any) []string {
	u := uniqueAppender{dst: dst}
	switch v := v.(type) {
	case string:
		for f := range strings.SplitSeq(v, " ") {
			u.add(f)
		}
	case []string:
		for _, s := range v {
			u.add(s)
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				u.add(s)
			}
		}
	}
	return u.dst
}

// A uniqueAppender appends valid scope-tokens to dst once each: by a scan
// while dst is short, through a set once it is long, so that a huge scope
// string costs linear time, not quadratic.
type uniqueAppender struct {
	dst  []string
	seen map[string]struct{}
}

// setThreshold is the length of dst from which duplicates are found
// through a set.
const setThreshold = 32

func (u *uniqueAppender) add(s string) {
	if !ValidScope(s) {
		return
	}
	if u.seen == nil && len(u.dst) >= setThreshold {
		u.seen = make(map[string]struct{}, 2*len(u.dst))
		for _, x := range u.dst {
			u.seen[x] = struct{}{}
		}
	}
	if u.seen != nil {
		if _, dup := u.seen[s]; dup {
			return
		}
		u.seen[s] = struct{}{}
	} else if slices.Contains(u.dst, s) {
		return
	}
	u.dst = append(u.dst, s)
}

// ErrMalformedScope is returned (wrapped, naming the scope's position) by
// the packages that issue tokens or store grants when a session, an
// account or a client carries a scope that is not one RFC 6749 §3.3
// scope-token ([ValidScope]): empty, or holding a space, a '"', a '\\', a
// control character or a non-ASCII byte. Scopes become the
// space-separated "scope" claim, so "read admin" would be read back as two
// scopes; it is refused, never split nor dropped.
var ErrMalformedScope = errors.New("gatehouse: scope is not one RFC 6749 scope-token")

// ValidScope reports whether s is one RFC 6749 §3.3 scope-token,
// 1*( %x21 / %x23-5B / %x5D-7E ): printable ASCII without space, '"' and
// '\\'. ParseScope and ScopesFromClaims drop, whole, every part that is
// not one (other whitespace, Unicode spaces, control characters), so a
// malformed scope yields fewer scopes, never more; the scopes package
// refuses configured scopes that are not.
func ValidScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
