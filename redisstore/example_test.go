package redisstore_test

import (
	"log"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/redisstore"
)

// A fleet's instances share revocations and rate limits through one Redis.
// (Compiled, not run: it needs a Redis.)
func ExampleNew() {
	rs, err := redisstore.New(redisstore.Config{Addr: "127.0.0.1:6379", Prefix: "orders-api:", Timeout: 300 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()

	auth, err := bearer.New(bearer.Config{
		Algorithms:  []string{"HS256"},
		Keys:        []bearer.Key{{Algorithm: "HS256", Key: []byte("a secret of at least thirty-two bytes")}},
		Revocations: rs.Revocations(), // a logout on any instance is refused on all
	})
	if err != nil {
		log.Fatal(err)
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		Limit: ratelimit.PerMinute(600),
		Store: rs.RateLimit(), // one bucket per principal across the fleet
	})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = auth, limiter
}
