package issuance

import (
	"encoding/json"
	"testing"
)

// refreshLike has the shape of the issuer's refresh-JWT claims.
type refreshLike struct {
	Issuer    string  `json:"iss"`
	Subject   string  `json:"sub"`
	Audience  string  `json:"aud"`
	ExpiresAt int64   `json:"exp"`
	IssuedAt  int64   `json:"iat"`
	AuthTime  int64   `json:"auth_time"`
	SessionID string  `json:"sid,omitempty"`
	Tenant    *string `json:"tenant,omitempty"`
	TokenUse  string  `json:"token_use"`
	ID        string  `json:"jti"`
}

func benchRefreshToken(b testing.TB) (*Signer, string) {
	s, err := NewSigner("", "", []byte("0123456789abcdef0123456789abcdef"), AccessTokenType)
	if err != nil {
		b.Fatal(err)
	}
	tenant := "acme"
	payload, err := json.Marshal(refreshLike{Issuer: "https://rewards.example", Subject: "user-42", Audience: "https://rewards.example",
		ExpiresAt: 4102444800, IssuedAt: 1735689600, AuthTime: 1735689600, SessionID: "Zm9vYmFyYmF6cXV4cXV1eA", Tenant: &tenant,
		TokenUse: "refresh", ID: "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := s.SignRefresh(payload)
	if err != nil {
		b.Fatal(err)
	}
	return s, tok
}

// BenchmarkParseRefresh measures Parse of a refresh JWT: header,
// signature, claims.
func BenchmarkParseRefresh(b *testing.B) {
	s, tok := benchRefreshToken(b)
	b.ReportAllocs()
	for b.Loop() {
		var c refreshLike
		if err := s.Parse(tok, s.RefreshType(), &c); err != nil {
			b.Fatal(err)
		}
	}
}
