package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// Assertion is the claim set a client signs to open a client session
// (seed 002): amount, iat and notificationKey are required, userId and
// forceManualConfirm optional.
type Assertion struct {
	Amount             json.Number `json:"amount"`
	IssuedAt           int64       `json:"iat"`
	NotificationKey    string      `json:"notificationKey"`
	UserID             string      `json:"userId,omitempty"`
	ForceManualConfirm bool        `json:"forceManualConfirm,omitempty"`
}

// SignAssertion returns a as a compact HS256 JWS signed with the client's
// API signature, byte for byte what firebase/php-jwt's JWT::encode($claims,
// $signature) produces in seed 002's PHP sample: header
// {"typ":"JWT","alg":"HS256"}, the claims JSON-encoded in field order,
// base64url without padding. A zero IssuedAt means now.
func SignAssertion(signature []byte, a Assertion) (string, error) {
	if len(signature) == 0 {
		return "", errors.New("vouchers: empty API signature")
	}
	if _, err := strconv.ParseFloat(string(a.Amount), 64); err != nil {
		return "", errors.New("vouchers: amount must be a number")
	}
	if a.IssuedAt == 0 {
		a.IssuedAt = time.Now().Unix()
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, signature)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil)), nil
}
