package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
// scopes, in banner order.
var users = []struct{ subject, scope string }{
	{"reader", "profile"},
	{"clerk", "orders:read profile"},
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

// newKey returns a random 32-byte HS256 key.
func newKey() []byte {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return key
}

// keyPath is where the server listening on addr keeps its key for -token:
// a file only its user can read, in the temporary directory.
func keyPath(addr string) string {
	name := strings.NewReplacer(":", "_", "/", "_", "[", "", "]", "").Replace(addr)
	return filepath.Join(os.TempDir(), "gatehouse-routers-"+name+".key")
}

// saveKey writes key to path with mode 0600, replacing any older file
// (from a server that was killed) in one rename; remove deletes it.
func saveKey(path string, key []byte) (remove func(), err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	_, err = f.Write(key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("saving the signing key for -token: %w", err)
	}
	return func() { _ = os.Remove(path) }, nil
}

// loadKey reads the key of the server listening on addr.
func loadKey(addr string) ([]byte, error) {
	key, err := os.ReadFile(keyPath(addr))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no routers server runs on %s: start one first (go run ./examples/routers -router std)", addr)
	}
	if err != nil {
		return nil, err
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%s is not a key the server wrote", keyPath(addr))
	}
	return key, nil
}
