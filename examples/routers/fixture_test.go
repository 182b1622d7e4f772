package routers_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/routers"
	"github.com/gatehouse-go/gatehouse/scopes"
)

type fixture struct {
	guards                     routers.Guards
	readOnly, orders, badToken string
}

var secret = []byte("routers-example-secret-32-bytes!")

func sign(t *testing.T, key []byte, sub, scope string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "routers", "aud": "orders-api", "sub": sub, "scope": scope,
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	}).SignedString(key)
	require.NoError(t, err)
	return tok
}

// newFixture protects the API with the real bearer and scopes middleware.
func newFixture(t *testing.T) fixture {
	t.Helper()
	auth, err := bearer.New(bearer.Config{
		Realm:      "api",
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "routers", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences:  []string{"orders-api"},
	})
	require.NoError(t, err)
	enf, err := scopes.New(scopes.Config{Style: envelope.Nested})
	require.NoError(t, err)
	return fixture{
		guards:   routers.Guards{Auth: auth.Middleware, ReadOrders: enf.Require("orders:read")},
		readOnly: sign(t, secret, "reader", "profile"),
		orders:   sign(t, secret, "clerk", "orders:read profile"),
		badToken: sign(t, []byte("another-secret-another-secret-32"), "mallory", "orders:read"),
	}
}
