package contender

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/jpillora/ipfilter"

	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// IPFloor is a netip linear scan: parse the peer address, test every prefix
// in list order, 403 when none contains it.
func IPFloor(p *fixture.Prefixes) http.Handler {
	list := p.Parsed
	next := fixture.NoContent
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ap, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		a := ap.Addr().Unmap()
		for _, pf := range list {
			if pf.Contains(a) {
				next.ServeHTTP(w, r)
				return
			}
		}
		w.WriteHeader(http.StatusForbidden)
	})
}

// IPFilter is github.com/jpillora/ipfilter allowing p's prefixes and
// blocking everything else (BlockByDefault), on the peer address.
func IPFilter(p *fixture.Prefixes) http.Handler {
	f := ipfilter.New(ipfilter.Options{AllowedIPs: p.List, BlockByDefault: true})
	return f.Wrap(fixture.NoContent)
}

// Remote returns a RemoteAddr string for a.
func Remote(a netip.Addr) string {
	return net.JoinHostPort(a.String(), "40000")
}
