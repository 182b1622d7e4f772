package bearer

import (
	"net/http"
	"strings"

	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// MaxHeaderBytes caps the Authorization header value bearer will look at; a
// longer one is refused as malformed before any parsing.
const MaxHeaderBytes = 8 << 10

// notB64token is 1 for every byte outside the RFC 6750 §2.1 b64token
// grammar's body: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/".
var notB64token = func() (t [256]byte) {
	for i := range t {
		t[i] = 1
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 0
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 0
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 0
	}
	for _, c := range "-._~+/" {
		t[c] = 0
	}
	return t
}()

// validToken reports whether tok matches the b64token grammar: one or more
// body bytes, then any number of "=".
func validToken(tok string) bool {
	body := strings.TrimRight(tok, "=")
	return body != "" && b64tokenBody(body)
}

// b64tokenBody reports whether every byte of s is a b64token body byte.
// Every byte of the base64url alphabet is one, and a JWS's segments, an
// API key or an opaque token usually hold nothing else: compact.Alphabet
// tells that 32 bytes at a time. Otherwise the flags are OR-ed eight bytes
// at a time, without a branch per byte.
func b64tokenBody(s string) bool {
	if compact.Alphabet(s) {
		return true
	}
	t := &notB64token
	var bad byte
	for ; len(s) >= 8; s = s[8:] {
		bad |= t[s[0]] | t[s[1]] | t[s[2]] | t[s[3]] |
			t[s[4]] | t[s[5]] | t[s[6]] | t[s[7]]
	}
	for i := 0; i < len(s); i++ {
		bad |= t[s[i]]
	}
	return bad == 0
}

// tokenFromHeader extracts the bearer token from h's Authorization header
// (RFC 6750 §2.1, RFC 9110 §11.6.2): exactly one header line, the scheme
// "Bearer" in any case, whitespace, then the token, then optional
// whitespace. Whitespace is RFC 9110's OWS, spaces and tabs alike. With
// dpopOK the scheme "DPoP" (RFC 9449 §7.1) is read the same way, and isDPoP
// says which scheme carried the token. A value of any other scheme is
// rOtherScheme (no bearer credentials); the scheme alone or followed only
// by whitespace carries no token (rEmpty: answered like a missing header,
// RFC 6750 §3.1); any other value that starts with the scheme but is not
// followed by whitespace and a token is malformed. Only the length and the
// shape are checked here; the b64token grammar is checked by the caller
// after the cache, which holds only tokens that already passed it. The
// token is never taken from the URL or the body (see otherMethod).
func tokenFromHeader(h http.Header, dpopOK bool) (tok string, isDPoP bool, rs reason) {
	vals := h["Authorization"]
	switch len(vals) {
	case 0:
		return "", false, rMissing
	case 1:
	default:
		return "", false, rMultiple
	}
	v := vals[0]
	if v == "" {
		return "", false, rMissing
	}
	if len(v) > MaxHeaderBytes {
		return "", false, rMalformed
	}
	n := schemeLen(v, "bearer")
	if n == 0 && dpopOK {
		if n = schemeLen(v, "dpop"); n > 0 {
			isDPoP = true
		}
	}
	if n == 0 {
		// Another scheme ("Basic …"), or a token sent without one:
		// no bearer credentials at all.
		return "", false, rOtherScheme
	}
	i := n
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	switch {
	case i == len(v):
		return "", isDPoP, rEmpty
	case i == n:
		return "", isDPoP, rMalformed // "Bearerabc"
	}
	j := len(v)
	for v[j-1] == ' ' || v[j-1] == '\t' {
		j-- // stops at the token's last byte, which is not whitespace
	}
	return v[i:j], isDPoP, rOK
}

// schemeLen returns len(scheme) when v starts with scheme (lower case),
// compared case-insensitively, else 0.
func schemeLen(v, scheme string) int {
	if len(v) < len(scheme) {
		return 0
	}
	for i := range len(scheme) {
		if v[i]|0x20 != scheme[i] {
			return 0
		}
	}
	return len(scheme)
}

// TokenFromHeader returns the bearer token of h's one Authorization
// header, read as the Authenticator reads it: the scheme "Bearer" in any
// case, whitespace (spaces or tabs), a token of the RFC 6750 §2.1
// b64token grammar, and optional whitespace. It fails with
//
//	ErrNoToken          no Authorization header, an empty one, or "Bearer"
//	                    followed by nothing but whitespace (RFC 6750 §3.1:
//	                    no credentials)
//	ErrOtherScheme      a value of another scheme, or a token without one
//	ErrMultipleHeaders  several Authorization header lines
//	ErrMalformedHeader  anything else, and a value longer than
//	                    MaxHeaderBytes
//
// It is for handlers that take a bearer token outside the Authenticator
// (a logout endpoint); such a handler should check [OneMethod] as well.
func TokenFromHeader(h http.Header) (string, error) {
	tok, _, err := tokenOrError(h, false)
	return tok, err
}

// TokenFromHeaderDPoP is [TokenFromHeader] for a handler that also takes
// DPoP-bound tokens, as the Authenticator does with Config.DPoP: it reads
// a value of the scheme "DPoP" (RFC 9449 §7.1) exactly as a "Bearer" one,
// and isDPoP reports which of the two the value used — also when err is
// not nil ("DPoP" alone, a malformed token), so that the refusal can carry
// that scheme's challenge first. It is for handlers that take an access
// token outside the Authenticator; such a handler must then verify the
// request's DPoP proof against the token's "cnf" claim itself.
func TokenFromHeaderDPoP(h http.Header) (tok string, isDPoP bool, err error) {
	return tokenOrError(h, true)
}

// tokenOrError is tokenFromHeader with the b64token grammar checked and
// the reason turned into the error TokenFromHeader documents.
func tokenOrError(h http.Header, dpopOK bool) (string, bool, error) {
	tok, isDPoP, rs := tokenFromHeader(h, dpopOK)
	if rs == rOK && !validToken(tok) {
		rs = rMalformed
	}
	switch rs {
	case rOK:
		return tok, isDPoP, nil
	case rMissing, rEmpty:
		return "", isDPoP, ErrNoToken
	}
	return "", isDPoP, refusals[rs].Err
}
