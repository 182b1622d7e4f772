package bench

import (
	"strconv"
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// BenchmarkAPIKey compares API-key middleware with 1 and 10,000 issued
// keys on the valid key, a well-formed unknown key and a missing header.
// echo-keyauth's validator does the floor's work (SHA-256, map lookup);
// echo-bare is echo alone.
func BenchmarkAPIKey(b *testing.B) {
	for _, n := range []int{1, 10_000} {
		ks := fixture.NewAPIKeys(n)
		rows := []struct {
			name, key string
			want      expect
		}{
			{"valid", ks.Valid, pass},
			{"invalid", ks.Unknown, refuse},
			{"missing", "", refuse},
		}
		for _, row := range rows {
			req := fixture.Request("", fixture.APIKeyHeader, row.key)
			b.Run(strconv.Itoa(n)+"-keys/"+row.name, func(b *testing.B) {
				b.Run("gatehouse", func(b *testing.B) {
					h, err := contender.GatehouseAPIKey(ks)
					serve(b, must(b, h, err), req, row.want)
				})
				b.Run("floor", func(b *testing.B) { serve(b, contender.APIKeyFloor(ks), req, row.want) })
				b.Run("echo-keyauth", func(b *testing.B) { serve(b, contender.EchoKeyAuth(ks), req, row.want) })
				b.Run("echo-bare", func(b *testing.B) { serve(b, contender.EchoBare(), req, pass) })
			})
		}
	}
}
