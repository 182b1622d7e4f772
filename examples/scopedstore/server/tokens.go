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
type TokenInfo struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
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

// addToken stores token (hashed) for store with scopes and records its
// description. It returns the description.
func (s *Server) addToken(token, store, name string, sc []string) (TokenInfo, error) {
	info := TokenInfo{ID: newID("tok_"), Name: name, Scopes: slices.Clone(sc), CreatedAt: s.now().UTC().Truncate(time.Second), store: store}
	rec := bearer.TokenRecord{ID: info.ID, Subject: info.ID, Tenant: store, Scopes: info.Scopes}
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

type createTokenRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes" envelope:"required"`
}

// createToken mints a token for the caller's store with a subset of the
// caller's own scopes (seed 004's rotation, step 1). Asking for a scope the
// caller lacks is 403 naming it.
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
	p, _ := gatehouse.PrincipalFrom(r.Context())
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
	info, err := s.addToken(token, p.Tenant, req.Name, want)
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
