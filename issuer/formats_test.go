package issuer_test

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/issuer"
)

// refreshFormats are the refresh-token configurations the refresh,
// rotation, reuse and max-age tests run under: they must behave the same.
var refreshFormats = []struct {
	name   string
	format func(*issuer.Config)
}{
	{"opaque", func(*issuer.Config) {}},
	{"jwt", func(c *issuer.Config) { c.RefreshJWT = true }},
	{"jwt typ JWT", func(c *issuer.Config) {
		c.RefreshJWT, c.TokenType = true, "JWT"
	}},
}

// eachFormat runs test once per refresh-token format; test passes format
// to every newFixture it makes.
func eachFormat(t *testing.T, test func(t *testing.T, format func(*issuer.Config))) {
	for _, rf := range refreshFormats {
		t.Run(rf.name, func(t *testing.T) { test(t, rf.format) })
	}
}
