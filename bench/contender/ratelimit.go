package contender

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/go-chi/httprate"
	"golang.org/x/time/rate"

	"github.com/gatehouse-go/gatehouse/bench/fixture"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// RateLimit is the limit every rate-limit contender enforces: so many
// requests a minute per client address that a benchmark never exhausts it,
// which keeps every request on the allow path.
const (
	RateLimit  = 1_000_000_000
	RateWindow = time.Minute
)

// GatehouseRateLimit is gatehouse's limiter keyed by client address
// (ratelimit.ByIP) over its default memory store.
func GatehouseRateLimit() (http.Handler, error) {
	l, err := ratelimit.New(ratelimit.Config{
		Limit: ratelimit.Limit{Events: RateLimit, Period: RateWindow},
		Key:   ratelimit.ByIP,
	})
	if err != nil {
		return nil, err
	}
	return l.Middleware(fixture.NoContent), nil
}

// HTTPRate is github.com/go-chi/httprate keyed by the peer address as its
// documentation shows for a server exposed directly to clients
// (CanonicalizeIP of r.RemoteAddr's host), with its default response
// headers.
func HTTPRate() http.Handler {
	return httprate.LimitBy(RateLimit, RateWindow, func(r *http.Request) (string, error) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		return httprate.CanonicalizeIP(host), nil
	})(fixture.NoContent)
}

// RateFloor is a map from peer address to an x/time/rate token bucket under
// one mutex: 429 when the bucket is empty, no headers.
func RateFloor() http.Handler {
	var (
		mu      sync.Mutex
		buckets = map[netip.Addr]*rate.Limiter{}
	)
	limit := rate.Limit(float64(RateLimit) / RateWindow.Seconds())
	next := fixture.NoContent
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ap, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		b, ok := buckets[ap.Addr()]
		if !ok {
			b = rate.NewLimiter(limit, RateLimit)
			buckets[ap.Addr()] = b
		}
		mu.Unlock()
		if !b.Allow() {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}
