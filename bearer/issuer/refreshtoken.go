package issuer

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// RefreshTokenPrefix starts every refresh token. With the fixed length
// and the absence of dots it makes a refresh token impossible to mistake for
// a JWT access token, and easy to spot in a secret scanner.
const RefreshTokenPrefix = "rt_"

// refreshTokenLen is the prefix plus 256 random bits in unpadded base64url.
const refreshTokenLen = len(RefreshTokenPrefix) + 43

// newRefreshToken returns a fresh refresh token and its SHA-256. Only the
// hash is ever stored.
func newRefreshToken() (string, [32]byte) {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (it aborts the process instead)
	b := make([]byte, 0, refreshTokenLen)
	b = append(b, RefreshTokenPrefix...)
	b = base64.RawURLEncoding.AppendEncode(b, raw[:])
	return string(b), sha256.Sum256(b)
}

// HashRefreshToken returns the SHA-256 of a refresh token, the key a
// RefreshStore files it under.
func HashRefreshToken(token string) [32]byte {
	return sha256.Sum256([]byte(token))
}

// wellFormedRefresh reports whether token has the shape of a refresh token
// (prefix, length, base64url alphabet), so malformed input and access
// tokens are refused before any hashing or store round trip.
func wellFormedRefresh(token string) bool {
	if len(token) != refreshTokenLen || token[:len(RefreshTokenPrefix)] != RefreshTokenPrefix {
		return false
	}
	for i := len(RefreshTokenPrefix); i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
