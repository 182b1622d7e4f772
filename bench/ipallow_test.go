package bench

import (
	"strconv"
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// BenchmarkIPAllow compares IP allowlists of 1 to 100,000 prefixes of the
// request's address family, on an address inside the middle prefix (a
// linear scan finds it half-way) and on an address outside every prefix.
func BenchmarkIPAllow(b *testing.B) {
	for _, family := range []string{"v4", "v6"} {
		for _, n := range fixture.PrefixCounts {
			p := fixture.NewPrefixes(family, n)
			gh, err := contender.GatehouseAllowlist(p)
			if err != nil {
				b.Fatal(err)
			}
			floor, filter := contender.IPFloor(p), contender.IPFilter(p)
			for _, row := range []struct {
				name string
				req  expect
			}{{"allowed", pass}, {"denied", refuse}} {
				addr := p.Allowed
				if row.req == refuse {
					addr = p.Denied
				}
				req := fixture.Request(contender.Remote(addr), "", "")
				b.Run(family+"/"+strconv.Itoa(n)+"-prefixes/"+row.name, func(b *testing.B) {
					b.Run("gatehouse", func(b *testing.B) { serve(b, gh, req, row.req) })
					b.Run("floor", func(b *testing.B) { serve(b, floor, req, row.req) })
					b.Run("ipfilter", func(b *testing.B) { serve(b, filter, req, row.req) })
				})
			}
		}
	}
}
