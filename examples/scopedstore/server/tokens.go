package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// A TokenInfo describes an API token without its secret: what GET /tokens
// lists. The plaintext token exists only in the answer to POST /tokens.
// ExpiresAt is null for a token that never expires; an expired token stays
// listed, as a revoked one does, so that it can be found and replaced.
type TokenInfo struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	store     string
}

func (t *TokenInfo) owner() string { return t.store }

// A NewTokenResponse is the answer to POST /tokens: the token's description
// and, this once, its plaintext.
type NewTokenResponse struct {
	TokenInfo
	Token string `json:"token"`
}

// addToken stores token (hashed) for store with scopes, expiring at
// expiresAt (zero: never), and records its description. It returns the
// description.
func (s *Server) addToken(token, store, name string, sc []string, expiresAt time.Time) (TokenInfo, error) {
	info := TokenInfo{ID: newID("tok_"), Name: name, Scopes: slices.Clone(sc), CreatedAt: s.now().UTC().Truncate(time.Second), store: store}
	rec := bearer.TokenRecord{ID: info.ID, Subject: info.ID, Tenant: store, Scopes: info.Scopes}
	if !expiresAt.IsZero() {
		at := expiresAt.UTC().Round(0) // no monotonic reading: a wall-clock instant
		info.ExpiresAt, rec.ExpiresAt = &at, at
	}
	if err := s.tokens.Add(context.Background(), token, rec); err != nil {
		return TokenInfo{}, err
	}
	s.db.mu.Lock()
	s.db.tokens[info.ID] = &info
	s.db.mu.Unlock()
	return info, nil
}

// MaxTokenNameLength bounds the name of a token created with POST /tokens.
const MaxTokenNameLength = 100

// createTokenRequest is the body of POST /tokens. ExpiresAt is an absolute
// RFC 3339 time rather than an expires_in lifetime: seed 004 speaks of a
// token that "has expired", a point in time, and every time of the token
// API (created_at, revoked_at, and expires_at in TOKENS_FILE and in the
// answer) is such an instant, so the value sent is the value listed.
type createTokenRequest struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes" envelope:"required"`
	ExpiresAt *string  `json:"expires_at"`
}

// createToken mints a token for the caller's store with a subset of the
// caller's own scopes (seed 004's rotation, step 1), expiring at the
// optional expires_at — at the latest when the caller's token expires, if
// it does (absent, expires_at is then the caller's expiry). Asking for a
// scope the caller lacks is 403 naming it; an expires_at that is
// malformed, not in the future or after the caller's expiry is 400.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req createTokenRequest
	if err := envelope.Decode(w, r, &req); err != nil {
		envelope.Write(w, r, err)
		return
	}
	if len(req.Name) > MaxTokenNameLength || strings.ContainsFunc(req.Name, isControl) {
		envelope.Write(w, r, invalid("name", "name must be at most 100 printable characters"))
		return
	}
	var expiresAt time.Time
	if req.ExpiresAt != nil {
		t, err := parseExpiresAt(*req.ExpiresAt)
		if err != nil {
			envelope.Write(w, r, invalid("expires_at", err.Error()))
			return
		}
		if !t.After(s.now()) {
			envelope.Write(w, r, invalid("expires_at", "expires_at must be in the future"))
			return
		}
		expiresAt = t
	}
	p, _ := gatehouse.PrincipalFrom(r.Context())
	if end := p.ExpiresAt; !end.IsZero() {
		// A token never outlives the token that minted it: an expiring
		// grant cannot renew itself into a permanent one.
		switch {
		case expiresAt.IsZero():
			expiresAt = end
		case expiresAt.After(end):
			envelope.Write(w, r, invalid("expires_at", "expires_at must not be after the calling token's expiry, "+end.UTC().Format(time.RFC3339)))
			return
		}
	}
	var want []string
	for _, sc := range req.Scopes {
		if !knownScope(sc) {
			envelope.Write(w, r, invalid("scopes", "scopes must be among: "+strings.Join(ScopeNames(), ", ")))
			return
		}
		if !s.enforcer.Grants(p, sc) {
			envelope.Write(w, r, envelope.ErrForbidden.WithMessage("Token does not have the required scope: "+sc))
			return
		}
		if !slices.Contains(want, sc) {
			want = append(want, sc)
		}
	}
	token := NewToken()
	info, err := s.addToken(token, p.Tenant, req.Name, want, expiresAt)
	if err != nil {
		envelope.Write(w, r, envelope.ErrInternal.WithCause(err))
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the answer holds a secret
	respond(w, r, http.StatusCreated, NewTokenResponse{TokenInfo: info, Token: token})
}

// revokeToken revokes a token of the caller's store at once (rotation,
// step 4). Revoking a revoked token again answers as the first time.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.db.mu.RLock()
	t, err := find(s.db.tokens, id, storeFrom(r), "Token")
	s.db.mu.RUnlock()
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	if err := s.tokens.RevokeToken(r.Context(), id); err != nil {
		envelope.Write(w, r, envelope.ErrInternal.WithCause(err))
		return
	}
	s.db.mu.Lock()
	if t.RevokedAt == nil {
		at := s.now().UTC().Truncate(time.Second)
		t.RevokedAt = &at
	}
	info := *t
	s.db.mu.Unlock()
	respond(w, r, http.StatusOK, info)
}

// listTokens lists the store's tokens, revoked ones included, without
// secrets.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	s.db.mu.RLock()
	out := list(s.db.tokens, storeFrom(r), func(t *TokenInfo) string { return t.CreatedAt.Format(time.RFC3339) + t.ID })
	s.db.mu.RUnlock()
	respond(w, r, http.StatusOK, out)
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }
