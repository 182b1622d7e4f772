package issuer

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"
)

// refreshTokenPrefix starts every opaque refresh token. With the fixed length
// and the absence of dots it makes a refresh token impossible to mistake for
// a JWT access token, and easy to spot in a secret scanner.
const refreshTokenPrefix = "rt_"

// familyIDLen is the length of a family id (issuance.NewID): 128 bits in unpadded
// base64url.
const familyIDLen = 22

// refreshSecretLen is the length of an opaque refresh token's secret part:
// 256 random bits in unpadded base64url.
const refreshSecretLen = 43

// refreshTokenLen is the length of an opaque refresh token: the prefix,
// the family id (not secret: access tokens carry it as "sid"), so that a
// store can find the family's state without a global index, and the
// secret part.
const refreshTokenLen = len(refreshTokenPrefix) + familyIDLen + refreshSecretLen

// newRefreshToken returns a fresh opaque refresh token of family famID (an
// issuance.NewID) and its SHA-256. Only the hash is ever stored.
func newRefreshToken(famID string) (string, [32]byte) {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (it aborts the process instead)
	b := make([]byte, 0, refreshTokenLen)
	b = append(b, refreshTokenPrefix...)
	b = append(b, famID...)
	b = base64.RawURLEncoding.AppendEncode(b, raw[:])
	return string(b), sha256.Sum256(b)
}

// hashRefreshToken returns the SHA-256 of a refresh token, the key a
// RefreshStore files it under.
func hashRefreshToken(token string) [32]byte {
	return sha256.Sum256([]byte(token))
}

// wellFormedRefresh reports whether token has the shape of an opaque
// refresh token (prefix, length, base64url alphabet), so malformed input
// and access tokens are refused before any hashing or store round trip.
func wellFormedRefresh(token string) bool {
	if len(token) != refreshTokenLen || token[:len(refreshTokenPrefix)] != refreshTokenPrefix {
		return false
	}
	for i := len(refreshTokenPrefix); i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// refreshFamily returns the family id a well-formed opaque refresh token
// names.
func refreshFamily(token string) string {
	return token[len(refreshTokenPrefix) : len(refreshTokenPrefix)+familyIDLen]
}

// tokenUseRefresh is the token_use claim of every refresh JWT.
const tokenUseRefresh = "refresh"

// refreshJTILen is the length of a refresh JWT's jti: 256 random bits in
// unpadded base64url.
const refreshJTILen = refreshSecretLen

// refreshPayload is the claim set of a refresh JWT (Config.RefreshJWT).
type refreshPayload struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	ExpiresAt int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	AuthTime  int64  `json:"auth_time"`
	SessionID string `json:"sid,omitempty"`
	// Tenant is the session's tenant ("" for none); always written, so
	// that a refresh can read the account's allowlist before the family
	// (which holds the same tenant) is read.
	Tenant   *string `json:"tenant,omitempty"`
	TokenUse string  `json:"token_use"`
	ID       string  `json:"jti"`
}

// newRefresh returns a fresh refresh token of the configured format for
// the family sid and its SHA-256, the key it is stored under: an opaque
// token (which names sid, an issuance.NewID), or a refresh JWT (sid its claim) of
// subject sub, issued at now, expiring at exp,
// in a family created (a login made) at authTime. The error is a signing
// failure.
func (i *Issuer) newRefresh(now, exp, authTime time.Time, sid, sub, tenant string) (string, [32]byte, error) {
	if !i.rtJWT {
		tok, hash := newRefreshToken(sid)
		return tok, hash, nil
	}
	payload, err := json.Marshal(refreshPayload{
		Issuer:    i.issuer,
		Subject:   sub,
		Audience:  i.issuer,
		ExpiresAt: exp.Unix(),
		IssuedAt:  now.Unix(),
		AuthTime:  authTime.Unix(),
		SessionID: sid,
		Tenant:    &tenant,
		TokenUse:  tokenUseRefresh,
		ID:        newRefreshJTI(),
	})
	if err != nil {
		return "", [32]byte{}, err
	}
	tok, err := i.signer.SignRefresh(payload)
	if err != nil {
		return "", [32]byte{}, err
	}
	return tok, hashRefreshToken(tok), nil
}

// newRefreshJTI returns the jti of a refresh JWT: 256 bits from
// crypto/rand in unpadded base64url, the token's secret part.
func newRefreshJTI() string {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (it aborts the process instead)
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// checkRefresh reports whether token has the shape of a refresh token of
// the configured format, so malformed input, access tokens and foreign
// tokens are refused before any hashing or store round trip. A refresh
// JWT's signature (header: alg, kid, typ) is verified first, then its iss,
// aud, token_use, jti, sub, sid and exp against now; its claims are
// returned. Either way SessionID is the family id the token names.
func (i *Issuer) checkRefresh(token string, now time.Time) (refreshPayload, bool) {
	if !i.rtJWT {
		if !wellFormedRefresh(token) {
			return refreshPayload{}, false
		}
		return refreshPayload{SessionID: refreshFamily(token)}, true
	}
	var c refreshPayload
	if i.signer.Parse(token, i.signer.RefreshType(), &c) != nil {
		return refreshPayload{}, false
	}
	ok := c.Issuer == i.issuer && c.Audience == i.issuer && c.TokenUse == tokenUseRefresh &&
		len(c.ID) == refreshJTILen && c.Subject != "" && c.SessionID != "" &&
		now.Unix() < c.ExpiresAt
	return c, ok
}
