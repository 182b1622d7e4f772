package issuance

import (
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
	// Confirmation binds the token to a key (RFC 7800 "cnf"); nil for a
	// bearer token, which then carries no "cnf" at all.
	Confirmation *Confirmation `json:"cnf,omitempty"`
}

// Confirmation is the "cnf" claim of a sender-constrained access token:
// JKT is the RFC 7638 thumbprint of the DPoP key the token is bound to
// (RFC 9449 §6.1). Only the signer's callers set it; an application's
// extra claims may not ("cnf" is reserved).
type Confirmation struct {
	JKT string `json:"jkt"`
}

// BindTo returns the "cnf" claim of a token bound to the DPoP key of
// thumbprint jkt, or nil for "" (a bearer token).
func BindTo(jkt string) *Confirmation {
	if jkt == "" {
		return nil
	}
	return &Confirmation{JKT: jkt}
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

// MergeObject appends the members of obj, a JSON object as json.Marshal
// writes it, to the JSON object payload. It fails when obj is not an
// object or, naming the claim, when one of its members is reserved.
func MergeObject(payload, obj []byte) ([]byte, error) {
	if len(obj) < 2 || obj[0] != '{' {
		return nil, errors.New("extra claims are not a JSON object")
	}
	if name, found := reservedMember(obj); found {
		return nil, errReserved(name)
	}
	return appendMembers(payload, obj), nil
}

// reservedMember returns the first member name of the JSON object obj
// that is reserved (ReservedClaim). obj must be valid JSON, as
// json.Marshal writes it; it is read once, and only a name with escapes is
// decoded.
func reservedMember(obj []byte) (string, bool) {
	depth := 0
	key := false // the next string at depth 1 is a member name
	for i := 0; i < len(obj); i++ {
		switch c := obj[i]; c {
		case '{', '[':
			depth++
			key = depth == 1 && c == '{'
		case '}', ']':
			depth--
		case ',':
			key = depth == 1
		case '"':
			end, escaped := i+1, false
			for ; end < len(obj) && obj[end] != '"'; end++ {
				if obj[end] == '\\' {
					escaped = true
					end++
				}
			}
			if depth == 1 && key {
				name := obj[i+1 : end]
				if escaped {
					var s string
					_ = json.Unmarshal(obj[i:end+1], &s)
					name = []byte(s)
				}
				// Unicode case folding, as encoding/json matches names:
				// "ſcope" (U+017F) is "scope" to a verifier decoding
				// into a struct, although the two differ in length.
				if ReservedClaim(string(name)) {
					return string(name), true
				}
				key = false
			}
			i = end
		}
	}
	return "", false
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
