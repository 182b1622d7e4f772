package otelgatehouse

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// RevocationStore returns s with every call timed in
// gatehouse.store.duration and every failure counted in
// gatehouse.store.errors (gatehouse.store "revocations"). When s can also
// revoke a token and its session in one write (RevokeTokenAndSession, as
// redisstore's can, which package issuer uses at logout), so can the
// returned store. Other methods of s are not forwarded.
func (t *Telemetry) RevocationStore(s bearer.RevocationStore) bearer.RevocationStore {
	r := &revocations{
		s:             s,
		revokeToken:   t.storeOp(StoreRevocations, "RevokeToken"),
		revokeSession: t.storeOp(StoreRevocations, "RevokeSession"),
		revokeSubject: t.storeOp(StoreRevocations, "RevokeSubject"),
		revoked:       t.storeOp(StoreRevocations, "Revoked"),
	}
	if p, ok := s.(tokenSessionRevoker); ok {
		return &revocationsPair{revocations: r, p: p, op: t.storeOp(StoreRevocations, "RevokeTokenAndSession")}
	}
	return r
}

type revocations struct {
	s                                                  bearer.RevocationStore
	revokeToken, revokeSession, revokeSubject, revoked *storeOp
}

func (r *revocations) RevokeToken(ctx context.Context, subject, jti string, until time.Time) error {
	start := time.Now()
	err := r.s.RevokeToken(ctx, subject, jti, until)
	r.revokeToken.done(ctx, start, err)
	return err
}

func (r *revocations) RevokeSession(ctx context.Context, subject, sid string, until time.Time) error {
	start := time.Now()
	err := r.s.RevokeSession(ctx, subject, sid, until)
	r.revokeSession.done(ctx, start, err)
	return err
}

func (r *revocations) RevokeSubject(ctx context.Context, subject string, notBefore, until time.Time) error {
	start := time.Now()
	err := r.s.RevokeSubject(ctx, subject, notBefore, until)
	r.revokeSubject.done(ctx, start, err)
	return err
}

func (r *revocations) Revoked(ctx context.Context, ref *bearer.TokenRef) (bool, error) {
	start := time.Now()
	revoked, err := r.s.Revoked(ctx, ref)
	r.revoked.done(ctx, start, err)
	return revoked, err
}

// tokenSessionRevoker is the optional interface package issuer uses at
// logout.
type tokenSessionRevoker interface {
	RevokeTokenAndSession(ctx context.Context, subject, jti string, tokenUntil time.Time, sid string, sessionUntil time.Time) error
}

type revocationsPair struct {
	*revocations
	p  tokenSessionRevoker
	op *storeOp
}

func (r *revocationsPair) RevokeTokenAndSession(ctx context.Context, subject, jti string, tokenUntil time.Time, sid string, sessionUntil time.Time) error {
	start := time.Now()
	err := r.p.RevokeTokenAndSession(ctx, subject, jti, tokenUntil, sid, sessionUntil)
	r.op.done(ctx, start, err)
	return err
}

// TokenStore returns s with every lookup timed and every failure counted
// (gatehouse.store "tokens"); a token not found is an answer, not a
// failure.
func (t *Telemetry) TokenStore(s bearer.TokenStore) bearer.TokenStore {
	return &tokens{s: s, lookup: t.storeOp(StoreTokens, "LookupToken", bearer.ErrTokenNotFound)}
}

type tokens struct {
	s      bearer.TokenStore
	lookup *storeOp
}

func (s *tokens) LookupToken(ctx context.Context, hash [32]byte) (bearer.TokenRecord, error) {
	start := time.Now()
	rec, err := s.s.LookupToken(ctx, hash)
	s.lookup.done(ctx, start, err)
	return rec, err
}
