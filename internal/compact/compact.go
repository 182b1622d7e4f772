// Package compact splits a JWS in compact serialization (RFC 7515 §7.1)
// for the packages that verify one: the bearer middleware, the issuer's
// logout and refresh, and the token endpoint's assertions. Each decodes
// the header into its own shape and checks the signature itself; this
// package only does the splitting, the strict base64url and the "typ"
// comparison they share, so that they agree on what a well-formed token
// is.
package compact

import (
	"encoding/base64"
	"strings"
)

// Encoding decodes one segment as golang-jwt's parser does with
// WithStrictDecoding and without WithPaddingAllowed: base64url without
// padding, with the unused bits of the last character required to be
// zero. It is never modified.
var Encoding = base64.RawURLEncoding.Strict()

// A JWS is a compact JWS split at its dots, with its header decoded. The
// payload and the signature are left encoded, so that a caller can refuse
// the token before paying for them.
type JWS struct {
	Header       []byte // the decoded protected header (JSON, not parsed)
	SigningInput string // header "." payload, as signed
	Payload      string // the payload segment, base64url
	Signature    string // the signature segment, base64url
}

// Split splits tok into exactly three dot-separated segments and decodes
// the header with [Encoding]. It reports false for any other number of
// segments and for a header that is not strict base64url.
func Split(tok string) (JWS, bool) {
	h, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return JWS{}, false
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return JWS{}, false
	}
	hb, err := Encoding.DecodeString(h)
	if err != nil {
		return JWS{}, false
	}
	return JWS{Header: hb, SigningInput: tok[:len(h)+1+len(p)], Payload: p, Signature: s}, true
}

// TypeMatches reports whether a "typ" header names the media type want:
// compared case-insensitively, with or without the "application/" prefix
// either may be written with (RFC 7515 §4.1.9).
func TypeMatches(typ, want string) bool {
	const app = "application/"
	if len(typ) > len(app) && strings.EqualFold(typ[:len(app)], app) {
		typ = typ[len(app):]
	}
	if len(want) > len(app) && strings.EqualFold(want[:len(app)], app) {
		want = want[len(app):]
	}
	return strings.EqualFold(typ, want)
}
