package otelgatehouse

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse/issuer"
)

// RefreshStore returns s with every call timed and every failure counted
// (gatehouse.store "refresh"); a refresh token not found, reused or of a
// revoked family, and a family that exists already, are answers, not
// failures. Other methods of s are not forwarded.
func (t *Telemetry) RefreshStore(s issuer.RefreshStore) issuer.RefreshStore {
	decided := []error{issuer.ErrRefreshNotFound, issuer.ErrFamilyRevoked, issuer.ErrRefreshReused, issuer.ErrFamilyExists}
	return &refresh{
		s:      s,
		create: t.storeOp(StoreRefresh, "Create", issuer.ErrFamilyExists),
		lookup: t.storeOp(StoreRefresh, "Lookup", issuer.ErrRefreshNotFound),
		rotate: t.storeOp(StoreRefresh, "Rotate", decided...),
		revoke: t.storeOp(StoreRefresh, "RevokeFamily", issuer.ErrRefreshNotFound),
	}
}

type refresh struct {
	s                              issuer.RefreshStore
	create, lookup, rotate, revoke *storeOp
}

func (r *refresh) Create(ctx context.Context, f issuer.Family, rec issuer.RefreshRecord) error {
	start := time.Now()
	err := r.s.Create(ctx, f, rec)
	r.create.done(ctx, start, err)
	return err
}

func (r *refresh) Lookup(ctx context.Context, familyID string, hash [32]byte, now time.Time) (issuer.Family, error) {
	start := time.Now()
	f, err := r.s.Lookup(ctx, familyID, hash, now)
	r.lookup.done(ctx, start, err)
	return f, err
}

func (r *refresh) Rotate(ctx context.Context, oldHash [32]byte, next issuer.RefreshRecord) (issuer.Family, error) {
	start := time.Now()
	f, err := r.s.Rotate(ctx, oldHash, next)
	r.rotate.done(ctx, start, err)
	return f, err
}

func (r *refresh) RevokeFamily(ctx context.Context, id string) (issuer.Family, error) {
	start := time.Now()
	f, err := r.s.RevokeFamily(ctx, id)
	r.revoke.done(ctx, start, err)
	return f, err
}
