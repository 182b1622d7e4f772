package gatehouse

import "strings"

// ParseScope splits a space-delimited scope string (the RFC 6749 §3.3
// "scope" parameter and the RFC 9068 "scope" claim) into its scopes. Runs of
// spaces and empty strings yield no empty scopes; duplicates are kept once,
// in first-seen order. It never fails.
func ParseScope(s string) []string { return appendScopes(nil, s) }

// ScopesFromClaims extracts scopes from a decoded JWT claim set, accepting
// the shapes issuers use in the wild:
//
//	"scope":  "a b c"          (RFC 9068, space-delimited string)
//	"scp":    "a b" or ["a","b"] (Azure AD, Okta)
//	"scopes": ["a","b"] or "a b"
//
// Scopes from every present claim are merged without duplicates. Values of
// any other type, and non-string array members, are ignored: a malformed
// claim yields fewer scopes, never a panic and never more.
func ScopesFromClaims(claims map[string]any) []string {
	var out []string
	for _, name := range [...]string{"scope", "scp", "scopes"} {
		out = appendScopes(out, claims[name])
	}
	return out
}

// AppendScopes appends the scopes in a claim value v (a space-delimited
// string, or an array of strings as decoded by encoding/json or given as
// []string) to dst, skipping duplicates, and returns the extended slice.
func AppendScopes(dst []string, v any) []string { return appendScopes(dst, v) }

func appendScopes(dst []string, v any) []string {
	switch v := v.(type) {
	case string:
		for f := range strings.FieldsSeq(v) {
			dst = appendUnique(dst, f)
		}
	case []string:
		for _, s := range v {
			if s != "" && !strings.ContainsAny(s, " \t\r\n") {
				dst = appendUnique(dst, s)
			}
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" && !strings.ContainsAny(s, " \t\r\n") {
				dst = appendUnique(dst, s)
			}
		}
	}
	return dst
}

func appendUnique(dst []string, s string) []string {
	for _, x := range dst {
		if x == s {
			return dst
		}
	}
	return append(dst, s)
}
