package main

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The tokens the API accepts: HS256 JWTs of this issuer for this audience.
const (
	issuer   = "routers-example"
	audience = "orders-api"
	tokenTTL = time.Hour // the banner and usage say "1h"
)

// users are the test callers the command mints tokens for, with their
// scopes and the shell variable the banner exports each token as, in banner
// order.
var users = []struct{ subject, scope, variable string }{
	{"reader", "profile", "READER_TOKEN"},
	{"clerk", "orders:read profile", "CLERK_TOKEN"},
}

// mint returns a token for the test caller subject, signed with key.
func mint(key []byte, subject string, now time.Time) (string, error) {
	for _, u := range users {
		if u.subject == subject {
			return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
				"iss": issuer, "aud": audience, "sub": u.subject, "scope": u.scope,
				"iat": now.Unix(), "exp": now.Add(tokenTTL).Unix(),
			}).SignedString(key)
		}
	}
	return "", fmt.Errorf("no test caller %q (reader or clerk)", subject)
}

// newKey returns a random 32-byte HS256 key. The command keeps it in
// memory only: its tokens are valid until the process ends.
func newKey() []byte {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return key
}
