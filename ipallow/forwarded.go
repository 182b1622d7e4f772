package ipallow

import (
	"net/netip"
	"strings"
)

// This file holds the parsers of forwarding headers. None of them allocates
// for the header sizes proxies produce, and none of them ever guesses: an
// entry is a strictly parsed IP address or it is malformed.

// parseNode parses one forwarded address as proxies write it: "192.0.2.1",
// "2001:db8::1", "[2001:db8::1]", "192.0.2.1:4711" or "[2001:db8::1]:4711".
// Leading-zero, hexadecimal and shortened IPv4 forms are rejected, as are
// "unknown" and obfuscated identifiers. The result is unmapped and its zone
// stripped.
func parseNode(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	if s[0] == '[' {
		return parseBracketed(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		// "192.0.2.1:4711": exactly one colon, so not an IPv6 address.
		if strings.Count(s, ":") != 1 {
			return netip.Addr{}, false
		}
		ap, err := netip.ParseAddrPort(s)
		if err != nil || !ap.Addr().Is4() {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

// parseBracketed parses "[v6]" or "[v6]:port"; the address must be IPv6.
func parseBracketed(s string) (netip.Addr, bool) {
	var a netip.Addr
	if s[len(s)-1] == ']' {
		var err error
		if a, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil {
			return netip.Addr{}, false
		}
	} else {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	if !a.Is6() {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// trimOWS trims HTTP optional whitespace (spaces and tabs).
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// xffClient walks the X-Forwarded-For lines right to left (the last line's
// last entry is the hop nearest to us) and returns the first address that
// trusted does not contain. When every entry is trusted it returns the
// leftmost one. An empty, unparsable or "unknown" entry met before the
// answer fails the walk (ok false); entries left of the answer were written
// by the client itself and are never looked at. lines must not be empty.
func xffClient(lines []string, trusted *PrefixSet) (addr netip.Addr, ok bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for {
			j := strings.LastIndexByte(line, ',')
			a, good := parseNode(trimOWS(line[j+1:]))
			if !good {
				return netip.Addr{}, false
			}
			addr = a
			if !trusted.Contains(a) {
				return a, true
			}
			if j < 0 {
				break
			}
			line = line[:j]
		}
	}
	return addr, addr.IsValid()
}

// maxForwardedElements bounds the work spent on a Forwarded header: no real
// chain of proxies is this long.
const maxForwardedElements = 64

// forwardedFors parses RFC 7239 Forwarded header lines, in order, and
// appends the "for" parameter of each element to dst ("" for an element
// without one). Quoted values are unquoted; a value using quoted-pair
// escapes, a duplicated parameter, or any other syntax error makes the whole
// header malformed (ok false), because then the elements added by our own
// proxies cannot be told apart from the rest.
func forwardedFors(dst []string, lines []string) (_ []string, ok bool) {
	for _, line := range lines {
		s := line
		for {
			// One element: pairs separated by ';', ended by ',' or the end.
			var forVal string
			var hasFor bool
			for {
				s = trimOWS(s)
				eq := strings.IndexByte(s, '=')
				if eq <= 0 || !isToken(s[:eq]) {
					return dst, false
				}
				name := s[:eq]
				s = s[eq+1:]
				var val string
				if len(s) > 0 && s[0] == '"' {
					end := strings.IndexByte(s[1:], '"')
					if end < 0 {
						return dst, false
					}
					val = s[1 : 1+end]
					if strings.IndexByte(val, '\\') >= 0 {
						return dst, false
					}
					s = s[end+2:]
				} else {
					end := strings.IndexAny(s, ";, \t")
					if end < 0 {
						end = len(s)
					}
					val = s[:end]
					if !isToken(val) {
						return dst, false
					}
					s = s[end:]
				}
				if strings.EqualFold(name, "for") {
					if hasFor {
						return dst, false
					}
					forVal, hasFor = val, true
				}
				s = trimOWS(s)
				if len(s) == 0 || s[0] != ';' {
					break
				}
				s = s[1:]
			}
			if len(dst) == maxForwardedElements {
				return dst, false
			}
			dst = append(dst, forVal)
			if len(s) == 0 {
				break
			}
			if s[0] != ',' {
				return dst, false
			}
			s = s[1:]
		}
	}
	return dst, true
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && tchar[c] {
			continue
		}
		return false
	}
	return true
}

var tchar = [128]bool{
	'!': true, '#': true, '$': true, '%': true, '&': true, '\'': true, '*': true,
	'+': true, '-': true, '.': true, '^': true, '_': true, '`': true, '|': true, '~': true,
	'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true, '8': true, '9': true,
	'A': true, 'B': true, 'C': true, 'D': true, 'E': true, 'F': true, 'G': true, 'H': true, 'I': true,
	'J': true, 'K': true, 'L': true, 'M': true, 'N': true, 'O': true, 'P': true, 'Q': true, 'R': true,
	'S': true, 'T': true, 'U': true, 'V': true, 'W': true, 'X': true, 'Y': true, 'Z': true,
	'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true, 'g': true, 'h': true, 'i': true,
	'j': true, 'k': true, 'l': true, 'm': true, 'n': true, 'o': true, 'p': true, 'q': true, 'r': true,
	's': true, 't': true, 'u': true, 'v': true, 'w': true, 'x': true, 'y': true, 'z': true,
}

// forwardedNode parses the value of a "for" parameter (RFC 7239 §6): an
// IPv4 address, a bracketed IPv6 address, either with an optional numeric
// port. "unknown", obfuscated identifiers ("_hidden") and bare IPv6 are
// rejected.
func forwardedNode(v string) (netip.Addr, bool) {
	if v == "" {
		return netip.Addr{}, false
	}
	if v[0] == '[' {
		return parseBracketed(v)
	}
	a, ok := parseNode(v)
	if !ok || !a.Is4() || strings.Count(v, ":") > 1 {
		return netip.Addr{}, false
	}
	return a, true
}

// forwardedClient resolves the client from Forwarded lines the way
// xffClient does from X-Forwarded-For. lines must not be empty.
func forwardedClient(lines []string, trusted *PrefixSet) (addr netip.Addr, ok bool) {
	var buf [8]string
	fors, good := forwardedFors(buf[:0], lines)
	if !good {
		return netip.Addr{}, false
	}
	for i := len(fors) - 1; i >= 0; i-- {
		a, good := forwardedNode(fors[i])
		if !good {
			return netip.Addr{}, false
		}
		addr = a
		if !trusted.Contains(a) {
			return a, true
		}
	}
	return addr, addr.IsValid()
}
