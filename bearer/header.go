package bearer

import "net/http"

// MaxHeaderBytes caps the Authorization header value bearer will look at; a
// longer one is refused as malformed before any parsing.
const MaxHeaderBytes = 8 << 10

// b64token marks the bytes of the RFC 6750 §2.1 b64token grammar:
// ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then trailing "=".
var b64token = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~+/" {
		t[c] = true
	}
	return t
}()

// validToken reports whether tok matches the b64token grammar.
func validToken(tok string) bool {
	i := 0
	for i < len(tok) && b64token[tok[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(tok) && tok[i] == '=' {
		i++
	}
	return i == len(tok)
}

// tokenFromHeader extracts the bearer token from h's Authorization header
// (RFC 6750 §2.1, RFC 9110 §11.6.2): exactly one header line, the scheme
// "Bearer" in any case, one or more spaces, then the token. Only the length
// and the shape are checked here; the b64token grammar is checked by the
// caller after the cache, which holds only tokens that already passed it.
// Nothing is read from the URL or the body.
func tokenFromHeader(h http.Header) (string, reason) {
	vals := h["Authorization"]
	switch len(vals) {
	case 0:
		return "", rMissing
	case 1:
	default:
		return "", rMultiple
	}
	v := vals[0]
	if v == "" {
		return "", rMissing
	}
	if len(v) > MaxHeaderBytes {
		return "", rMalformed
	}
	const scheme = "bearer"
	if len(v) <= len(scheme)+1 || v[len(scheme)] != ' ' {
		return "", rMalformed
	}
	for i := range len(scheme) {
		if v[i]|0x20 != scheme[i] {
			return "", rMalformed
		}
	}
	i := len(scheme) + 1
	for i < len(v) && v[i] == ' ' {
		i++
	}
	if i == len(v) {
		return "", rMalformed
	}
	return v[i:], rOK
}
