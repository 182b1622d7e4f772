package issuance

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// AccessPayload is the claim set of an access token, in RFC 9068 order.
type AccessPayload struct {
	Issuer    string          `json:"iss"`
	Subject   string          `json:"sub"`
	Audience  json.RawMessage `json:"aud"`
	ExpiresAt int64           `json:"exp"`
	NotBefore int64           `json:"nbf"`
	IssuedAt  int64           `json:"iat"`
	ID        string          `json:"jti"`
	ClientID  string          `json:"client_id,omitempty"`
	Scope     string          `json:"scope,omitempty"`
	SessionID string          `json:"sid,omitempty"`
	Tenant    string          `json:"tenant,omitempty"`
}

// Claim names that only the issuer's refresh JWTs and the token
// endpoint's session tokens carry.
const (
	// ClaimTokenUse marks a refresh JWT ("refresh").
	ClaimTokenUse = "token_use"
	// ClaimAuthTime is a refresh JWT's login time.
	ClaimAuthTime = "auth_time"
	// ClaimSessionKind is the grant a token-endpoint token came from.
	ClaimSessionKind = "session_kind"
)

// reservedClaims are the claim names an application may not add to an
// access token, compared case-insensitively (see ReservedClaim): the
// access-token claims; the other claims a verifier may read scopes from
// ("scp", "scopes") or bind the token with ("cnf", "typ"); the
// refresh-token claims; and the session kind a token-endpoint token alone
// may carry (a forged one would pass tokenendpoint.RequireSession).
var reservedClaims = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "sid", "tenant",
	"scp", "scopes", "cnf", "typ",
	ClaimTokenUse, ClaimAuthTime,
	ClaimSessionKind,
}

// ReservedClaim reports whether name is a reserved claim in any letter
// case: a verifier that decodes claims case-insensitively (encoding/json
// into a struct does) would take "SCP" or "Sid" for the real claim.
func ReservedClaim(name string) bool {
	for _, r := range reservedClaims {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

func errReserved(name string) error {
	return fmt.Errorf("extra claim %q is reserved: it would redefine a claim the issuer sets or a verifier trusts", name)
}

// MergeExtra appends the members of extra to the JSON object payload. It
// fails, naming the claim, when one of them is reserved, or when a value
// does not marshal.
func MergeExtra(payload []byte, extra map[string]any) ([]byte, error) {
	for name := range extra {
		if ReservedClaim(name) {
			return nil, errReserved(name)
		}
	}
	more, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	return appendMembers(payload, more), nil
}

// MergeObject appends the members of the JSON object obj to the JSON
// object payload. It fails when obj is not an object or, naming the claim,
// when one of its members is reserved.
func MergeObject(payload, obj []byte) ([]byte, error) {
	var members map[string]json.RawMessage
	if obj = bytes.TrimSpace(obj); len(obj) == 0 || obj[0] != '{' || json.Unmarshal(obj, &members) != nil {
		return nil, errors.New("extra claims are not a JSON object")
	}
	for name := range members {
		if ReservedClaim(name) {
			return nil, errReserved(name)
		}
	}
	if len(members) == 0 {
		return payload, nil
	}
	return appendMembers(payload, obj), nil
}

// appendMembers appends the members of the non-empty JSON object more to
// the JSON object payload, which is never empty (iss is always set).
func appendMembers(payload, more []byte) []byte {
	if len(more) <= 2 { // {}
		return payload
	}
	out := append(payload[:len(payload)-1:len(payload)-1], ',')
	return append(out, more[1:]...)
}

// AudienceJSON renders an "aud" claim: a string for one member, an array
// otherwise.
func AudienceJSON(aud []string) (json.RawMessage, error) {
	if len(aud) == 1 {
		return json.Marshal(aud[0])
	}
	return json.Marshal(aud)
}

// NewID returns 128 random bits, base64url encoded (22 characters): the
// jti of access tokens and the id of refresh families.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the process instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// AppendJSONString appends s to b as a JSON string.
func AppendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// OrDefault returns v, or def when v is zero.
func OrDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
