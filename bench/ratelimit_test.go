package bench

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// BenchmarkRateLimit compares per-client-address rate limiters on the allow
// path: one client, a limit it never reaches.
func BenchmarkRateLimit(b *testing.B) {
	req := fixture.Request("", "", "")
	b.Run("per-ip/allow", func(b *testing.B) {
		b.Run("gatehouse", func(b *testing.B) {
			h, err := contender.GatehouseRateLimit()
			serve(b, must(b, h, err), req, pass)
		})
		b.Run("floor", func(b *testing.B) { serve(b, contender.RateFloor(), req, pass) })
		b.Run("httprate", func(b *testing.B) { serve(b, contender.HTTPRate(), req, pass) })
	})
}
