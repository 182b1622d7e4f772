package dpop

import (
	"bytes"
	"net/http"
	"strings"
)

// The "htu" claim is compared with the request URI after both are
// normalized as RFC 9449 §4.3 recommends, by the syntax-based (RFC 3986
// §6.2.2) and scheme-based (§6.2.3) rules: scheme and host in lower case,
// the scheme's default port and an empty port left out, an empty path
// made "/", percent-encodings in upper case and those of unreserved
// characters decoded, dot segments removed. The query and the fragment
// are not part of either (§4.2). A URI with user information, of another
// scheme than http and https, or with an invalid percent-encoding matches
// nothing.

// matchURI reports whether htu is the URI of r.
func (v *Verifier) matchURI(r *http.Request, htu string) bool {
	var wantBuf, gotBuf [256]byte
	want, ok := v.appendRequestURI(wantBuf[:0], r)
	if !ok {
		return false
	}
	scheme, authority, path, ok := splitURI(htu)
	if !ok {
		return false
	}
	got, ok := appendURI(gotBuf[:0], scheme, authority, path)
	return ok && bytes.Equal(want, got)
}

// appendRequestURI appends the normalized URI of r, without query, to b:
// Config.Origin or r's scheme and host, then the path of the
// request-target as received.
func (v *Verifier) appendRequestURI(b []byte, r *http.Request) ([]byte, bool) {
	path := requestPath(r)
	if v.origin != "" {
		b = append(b, v.origin...)
		return appendPath(b, path)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	return appendURI(b, scheme, host, path)
}

// requestPath returns the path of r's request-target as the client sent
// it (r.RequestURI, which handlers such as http.StripPrefix leave alone),
// or r.URL's escaped path for a request that was not received by a
// server.
func requestPath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	switch {
	case strings.HasPrefix(p, "/"):
		return p
	case p != "" && p != "*":
		// absolute-form (RFC 9112 §3.2.2), as sent to a proxy.
		if _, _, path, ok := splitURI(p); ok {
			return path
		}
	}
	if r.URL == nil {
		return ""
	}
	return r.URL.EscapedPath()
}

// splitURI splits an absolute URI into its scheme, authority and path,
// dropping query and fragment. It fails for a URI without "//" authority.
func splitURI(s string) (scheme, authority, path string, ok bool) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return "", "", "", false
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	authority, path = rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	return scheme, authority, path, true
}

// appendURI appends the normalized scheme://authority/path to b. It fails
// for a scheme other than http and https, an authority with user
// information or no host, and an invalid path.
func appendURI(b []byte, scheme, authority, path string) ([]byte, bool) {
	var port string
	switch {
	case strings.EqualFold(scheme, "https"):
		scheme, port = "https", "443"
	case strings.EqualFold(scheme, "http"):
		scheme, port = "http", "80"
	default:
		return b, false
	}
	host, ok := normalHost(authority, port)
	if !ok {
		return b, false
	}
	b = append(b, scheme...)
	b = append(b, "://"...)
	b = appendLower(b, host)
	return appendPath(b, path)
}

// normalHost returns authority without an empty port or the scheme's
// default port. It fails for user information, an empty host, a port that
// is not digits and characters that have no place in a host.
func normalHost(authority, defaultPort string) (string, bool) {
	host, port := authority, ""
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.Contains(authority[i:], "]") {
		host, port = authority[:i], authority[i+1:]
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return "", false
		}
	}
	if host == "" || strings.ContainsAny(host, "@%/?# \t") {
		return "", false
	}
	if port == "" || port == defaultPort {
		return host, true
	}
	return authority, true
}

// appendPath appends the normalized path to b: "/" for an empty one,
// percent-encodings in upper case or decoded when they encode an
// unreserved character, dot segments removed. It fails for a path that
// does not start with "/" or has an invalid percent-encoding.
func appendPath(b []byte, path string) ([]byte, bool) {
	if path == "" {
		return append(b, '/'), true
	}
	if path[0] != '/' {
		return b, false
	}
	start := len(b)
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(path) || !isHex(path[i+1]) || !isHex(path[i+2]) {
			return b, false
		}
		d := unhex(path[i+1])<<4 | unhex(path[i+2])
		if isUnreserved(d) {
			b = append(b, d)
		} else {
			b = append(b, '%', upperHex(path[i+1]), upperHex(path[i+2]))
		}
		i += 2
	}
	if hasDotSegment(b[start:]) {
		p := removeDotSegments(string(b[start:]))
		b = append(b[:start], p...)
	}
	return b, true
}

// hasDotSegment reports whether the path p has a "." or ".." segment.
func hasDotSegment(p []byte) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '.' || i > 0 && p[i-1] != '/' {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

// removeDotSegments is RFC 3986 §5.2.4's algorithm for an absolute path.
func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// isUnreserved reports whether c is an unreserved character (RFC 3986
// §2.3), whose percent-encoding is equivalent to itself.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// parseOrigin checks and normalizes Config.Origin; it fails for anything
// but scheme://host[:port] with an http or https scheme.
func parseOrigin(origin string) (string, bool) {
	scheme, authority, path, ok := splitURI(origin)
	if !ok || path != "" && path != "/" || strings.ContainsAny(origin, "?#") {
		return "", false
	}
	b, ok := appendURI(nil, scheme, authority, "")
	if !ok {
		return "", false
	}
	return string(b[:len(b)-1]), true // without the path "/"
}
