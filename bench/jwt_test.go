package bench

import (
	"net/http"
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// BenchmarkJWT compares JWT bearer middleware per algorithm on a valid
// token, a token signed with the wrong key and a request without an
// Authorization header. echo-bare and gin-bare are the frameworks alone,
// which echo-jwt's and gin-jwt's numbers include; handler-bare is the 204
// handler alone, which every net/http contender's numbers include;
// handoff-bare adds what handing a Principal on costs
// (contender.Handoff); and
// signature is the row's signature check alone (signatureCheck), the
// cryptography every verifier pays, so that a row's overhead is its time
// less the signature's.
func BenchmarkJWT(b *testing.B) {
	for _, alg := range fixture.Algorithms {
		a := fixture.Load(alg)
		rows := []struct {
			name  string
			token string
			want  expect
		}{
			{"valid", a.Valid, pass},
			{"bad-signature", a.BadSignature, refuse},
			{"missing", "", refuse},
		}
		for _, row := range rows {
			header := ""
			if row.token != "" {
				header = "Bearer " + row.token
			}
			req := fixture.Request("", "Authorization", header)
			b.Run(alg+"/"+row.name, func(b *testing.B) {
				for _, g := range gatehouseJWTs(row.name == "valid") {
					b.Run(g.name, func(b *testing.B) { g.run(b, a, req, row.want) })
				}
				for _, c := range contender.JWTs {
					b.Run(c.Name, func(b *testing.B) {
						h, err := c.New(a)
						serve(b, must(b, h, err), req, row.want)
					})
				}
				b.Run("echo-bare", func(b *testing.B) { serve(b, contender.EchoBare(), req, pass) })
				b.Run("gin-bare", func(b *testing.B) { serve(b, contender.GinBare(), req, pass) })
				b.Run("handler-bare", func(b *testing.B) { serve(b, fixture.NoContent, req, pass) })
				if row.want == pass {
					b.Run("handoff-bare", func(b *testing.B) { serve(b, contender.Handoff(fixture.NoContent), req, pass) })
				}
				if row.token != "" {
					b.Run("signature", func(b *testing.B) { signature(b, a, row.token, row.want == pass) })
				}
			})
		}
	}
}

// signature measures the signature check of tok alone, which must report
// valid.
func signature(b *testing.B, a *fixture.Alg, tok string, valid bool) {
	c, err := newSignatureCheck(a, tok)
	if err != nil {
		b.Fatal(err)
	}
	if c.verify() != valid {
		b.Fatalf("signature check: %v, want %v", !valid, valid)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.verify()
	}
}

// gatehouseJWT is one way of running gatehouse's bearer middleware.
type gatehouseJWT struct {
	name string
	run  func(b *testing.B, a *fixture.Alg, req *http.Request, want expect)
}
