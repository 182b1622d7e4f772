package bearer

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MaxFormBytes is the largest application/x-www-form-urlencoded body the
// Authenticator reads, on a request with a bearer token in its
// Authorization header, to check that the body carries no access_token as
// well (RFC 6750 §2: one method only). A longer form body is refused with
// 413; other content types are never read.
const MaxFormBytes = 64 << 10

// tokenParam is the RFC 6750 §2.2 and §2.3 parameter name.
const tokenParam = "access_token"

// otherMethod reports whether r, whose Authorization header carries a bearer
// token, also carries an access_token in its query (RFC 6750 §2.3) or in
// an application/x-www-form-urlencoded body (§2.2): rManyMethods then, or
// rFormTooLarge when the form body is longer than MaxFormBytes, else rOK.
// The parameter's presence is enough, whatever its value. A form body is
// read and put back (r.Body then yields the same bytes, and the same read
// error if reading failed), so the handler still reads all of it.
func otherMethod(r *http.Request) reason {
	if r.URL != nil && hasParam(r.URL.RawQuery, tokenParam) {
		return rManyMethods
	}
	if r.Body == nil || r.Body == http.NoBody || !isForm(r.Header["Content-Type"]) {
		return rOK
	}
	body := r.Body
	buf, err := io.ReadAll(io.LimitReader(body, MaxFormBytes+1))
	rest := io.Reader(body)
	if err != nil {
		rest = errReader{err}
	}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), rest), body}
	if hasParam(string(buf), tokenParam) {
		return rManyMethods
	}
	if len(buf) > MaxFormBytes {
		return rFormTooLarge
	}
	return rOK
}

// OneMethod checks RFC 6750 §2's one-method rule on r, whose Authorization
// header carries a bearer token, as the Authenticator checks it: it
// returns ErrMultipleMethods when r also carries an access_token parameter
// in its query (§2.3) or in an application/x-www-form-urlencoded body
// (§2.2), whatever its value; ErrFormTooLarge when such a body is longer
// than MaxFormBytes; nil otherwise. A form body is read and put back, so
// the handler still reads all of it. It is for handlers that take a
// bearer token outside the Authenticator (see [TokenFromHeader]); answer
// ErrMultipleMethods with 400 invalid_request and ErrFormTooLarge with
// 413.
func OneMethod(r *http.Request) error {
	if rs := otherMethod(r); rs != rOK {
		return refusals[rs].Err
	}
	return nil
}

// isForm reports whether the Content-Type is application/x-www-form-urlencoded
// (any case, with or without parameters).
func isForm(vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	const media = "application/x-www-form-urlencoded"
	v := skipOWS(vals[0])
	if len(v) < len(media) || !strings.EqualFold(v[:len(media)], media) {
		return false
	}
	rest := skipOWS(v[len(media):])
	return rest == "" || rest[0] == ';'
}

// skipOWS drops leading spaces and tabs.
func skipOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// hasParam reports whether the form-encoded query has a parameter called
// name, matched after percent- and plus-decoding as url.ParseQuery decodes
// it. A key that does not decode is not name.
func hasParam(query, name string) bool {
	if strings.IndexByte(query, '%') < 0 && !strings.Contains(query, name) {
		return false // name has no '+': only an escape can spell it otherwise
	}
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		key, _, _ := strings.Cut(kv, "=")
		if key == name {
			return true
		}
		if strings.IndexByte(key, '%') >= 0 {
			if k, err := url.QueryUnescape(key); err == nil && k == name {
				return true
			}
		}
	}
	return false
}

// readCloser reads from the re-assembled body and closes the original one.
type readCloser struct {
	io.Reader
	io.Closer
}

// errReader fails every read with err: the handler meets the read error
// the check met, after the bytes read before it.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
