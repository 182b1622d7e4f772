package bench

import (
	"net/http"
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// gatehouseJWTs returns gatehouse's bearer contenders: "gatehouse" with
// the verified-token cache disabled, so every request is a first sight
// (full verification), and, for valid tokens, "gatehouse-cached" with the
// default cache and the token reused, so every request but the first is a
// cache hit.
func gatehouseJWTs(valid bool) []gatehouseJWT {
	gs := []gatehouseJWT{{"gatehouse", func(b *testing.B, a *fixture.Alg, req *http.Request, want expect) {
		h, err := contender.GatehouseBearer(a, false)
		serve(b, must(b, h, err), req, want)
	}}}
	if valid {
		gs = append(gs, gatehouseJWT{"gatehouse-cached", func(b *testing.B, a *fixture.Alg, req *http.Request, want expect) {
			h, err := contender.GatehouseBearer(a, true)
			serve(b, must(b, h, err), req, want)
		}})
	}
	return gs
}
