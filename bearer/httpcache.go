package bearer

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// freshness is how long a response may be used, from its Cache-Control
// (RFC 9111 §5.2.2) and Age (§5.1) headers.
type freshness struct {
	maxAge time.Duration // the remaining lifetime, when known
	known  bool          // max-age, no-cache or no-store was sent
}

// maxFreshness caps a max-age, so that its arithmetic cannot overflow.
const maxFreshness = 365 * 24 * time.Hour

// parseFreshness reads the private-cache lifetime of a response:
// "max-age" less the response's Age, or zero for "no-cache" and
// "no-store". s-maxage is for shared caches and is ignored; so is a
// malformed or repeated max-age (the response is then treated as stale,
// as RFC 9111 §4.2.1 advises).
func parseFreshness(h http.Header) freshness {
	var f freshness
	seen := false
	for _, line := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return freshness{known: true}
			case "max-age":
				secs, ok := deltaSeconds(strings.Trim(strings.TrimSpace(value), `"`))
				if !ok || seen {
					return freshness{known: true}
				}
				seen = true
				f = freshness{maxAge: secs, known: true}
			}
		}
	}
	if f.known {
		if age, ok := deltaSeconds(strings.TrimSpace(h.Get("Age"))); ok {
			f.maxAge = max(f.maxAge-age, 0)
		}
	}
	return f
}

// deltaSeconds parses RFC 9111's delta-seconds: one or more digits, a
// value too large for the clock read as maxFreshness.
func deltaSeconds(s string) (time.Duration, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > uint64(maxFreshness/time.Second) {
		return maxFreshness, true // digits only, so err is an overflow
	}
	return time.Duration(n) * time.Second, true
}

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): seconds,
// or an HTTP date relative to now. It returns 0 when the header is absent,
// malformed or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if d, ok := deltaSeconds(v); ok {
		return d
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return min(max(t.Sub(now), 0), maxFreshness)
}
