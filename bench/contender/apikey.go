package contender

import (
	"crypto/sha256"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

func itoa(i int) string { return strconv.Itoa(i) }

// hashes indexes the SHA-256 of every key of ks, as a store of hashed keys
// would (no contender keeps plaintext keys).
func hashes(ks *fixture.APIKeys) map[[32]byte]string {
	m := make(map[[32]byte]string, len(ks.Keys))
	for i, k := range ks.Keys {
		m[sha256.Sum256([]byte(k))] = "key-" + itoa(i)
	}
	return m
}

// APIKeyFloor is the least an API-key middleware does on net/http: read the
// header, SHA-256 it, look the digest up in a map, store the key's ID in the
// request context. A refusal is a bare 401.
func APIKeyFloor(ks *fixture.APIKeys) http.Handler {
	m := hashes(ks)
	next := fixture.NoContent
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := r.Header.Get(fixture.APIKeyHeader)
		if k == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		id, ok := m[sha256.Sum256([]byte(k))]
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(withKeyID(r, id)))
	})
}

// EchoKeyAuth is echo's KeyAuth middleware reading fixture.APIKeyHeader,
// with a validator doing the floor's SHA-256 and map lookup and storing the
// key's ID in the echo context.
func EchoKeyAuth(ks *fixture.APIKeys) http.Handler {
	m := hashes(ks)
	e := echoBare()
	e.Use(middleware.KeyAuthWithConfig(middleware.KeyAuthConfig{
		KeyLookup: "header:" + fixture.APIKeyHeader,
		Validator: func(key string, c echo.Context) (bool, error) {
			id, ok := m[sha256.Sum256([]byte(key))]
			if ok {
				c.Set("key_id", id)
			}
			return ok, nil
		},
	}))
	e.GET(fixture.Path, noContentEcho)
	return e
}
