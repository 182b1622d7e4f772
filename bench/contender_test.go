package bench

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// status sends req through h and returns the status code.
func status(h http.Handler, req *http.Request) int {
	w := fixture.NewWriter()
	h.ServeHTTP(w, req)
	return w.Code
}

// TestContenders checks that every contender of every benchmark row
// answers as the row expects — the valid credential reaches the 204
// handler, a bad or missing one is refused — so that no benchmark ever
// times a misconfigured middleware.
func TestContenders(t *testing.T) {
	t.Run("JWT", func(t *testing.T) {
		for _, alg := range fixture.Algorithms {
			a := fixture.Load(alg)
			hs := map[string]http.Handler{}
			for _, c := range contender.JWTs {
				h, err := c.New(a)
				if err != nil {
					t.Fatalf("%s %s: %v", alg, c.Name, err)
				}
				hs[c.Name] = h
			}
			for _, cache := range []bool{false, true} {
				h, err := contender.GatehouseBearer(a, cache)
				if err != nil {
					t.Fatalf("%s gatehouse: %v", alg, err)
				}
				hs["gatehouse-cache-"+strconv.FormatBool(cache)] = h
			}
			for name, h := range hs {
				t.Run(alg+"/"+name, func(t *testing.T) {
					for _, tc := range []struct {
						header string
						want   expect
					}{
						{"Bearer " + a.Valid, pass},
						{"Bearer " + a.Valid, pass}, // twice: the cache hit
						{"Bearer " + a.BadSignature, refuse},
						{"", refuse},
					} {
						if got := status(h, fixture.Request("", "Authorization", tc.header)); !tc.want.ok(got) {
							t.Errorf("header %.20q: status %d", tc.header, got)
						}
					}
				})
			}
		}
	})
	t.Run("APIKey", func(t *testing.T) {
		ks := fixture.NewAPIKeys(100)
		gh, err := contender.GatehouseAPIKey(ks)
		if err != nil {
			t.Fatal(err)
		}
		for name, h := range map[string]http.Handler{"gatehouse": gh, "floor": contender.APIKeyFloor(ks), "echo-keyauth": contender.EchoKeyAuth(ks)} {
			t.Run(name, func(t *testing.T) {
				for _, k := range ks.Keys[:10] {
					if got := status(h, fixture.Request("", fixture.APIKeyHeader, k)); !pass.ok(got) {
						t.Errorf("issued key: status %d", got)
					}
				}
				for _, k := range []string{ks.Unknown, ""} {
					if got := status(h, fixture.Request("", fixture.APIKeyHeader, k)); !refuse.ok(got) {
						t.Errorf("key present %v: status %d", k != "", got)
					}
				}
			})
		}
	})
	t.Run("IPAllow", func(t *testing.T) {
		for _, family := range []string{"v4", "v6"} {
			p := fixture.NewPrefixes(family, 1000)
			gh, err := contender.GatehouseAllowlist(p)
			if err != nil {
				t.Fatal(err)
			}
			for name, h := range map[string]http.Handler{"gatehouse": gh, "floor": contender.IPFloor(p), "ipfilter": contender.IPFilter(p)} {
				t.Run(family+"/"+name, func(t *testing.T) {
					for i, pf := range p.Parsed[:50] {
						if got := status(h, fixture.Request(contender.Remote(pf.Addr()), "", "")); !pass.ok(got) {
							t.Errorf("prefix %d %s: status %d", i, pf, got)
						}
					}
					if got := status(h, fixture.Request(contender.Remote(p.Allowed), "", "")); !pass.ok(got) {
						t.Errorf("allowed: status %d", got)
					}
					if got := status(h, fixture.Request(contender.Remote(p.Denied), "", "")); !refuse.ok(got) {
						t.Errorf("denied: status %d", got)
					}
				})
			}
		}
	})
	t.Run("RateLimit", func(t *testing.T) {
		gh, err := contender.GatehouseRateLimit()
		if err != nil {
			t.Fatal(err)
		}
		for name, h := range map[string]http.Handler{"gatehouse": gh, "floor": contender.RateFloor(), "httprate": contender.HTTPRate()} {
			for range 100 {
				if got := status(h, fixture.Request("", "", "")); !pass.ok(got) {
					t.Fatalf("%s: status %d", name, got)
				}
			}
		}
	})
}
