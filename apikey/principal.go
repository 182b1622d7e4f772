package apikey

import (
	"context"

	gatehouse "github.com/gatehouse-go/gatehouse"
)

// newPrincipal returns the Principal for an authenticated key's record:
// Method gatehouse.MethodAPIKey, TokenID the key ID, Subject the record's
// Subject (else the key ID), Tenant, Scopes and ExpiresAt from the record,
// and Claims rec itself.
func newPrincipal(rec *Record) gatehouse.Principal {
	subject := rec.Subject
	if subject == "" {
		subject = rec.ID
	}
	return gatehouse.Principal{
		Subject:   subject,
		Tenant:    rec.Tenant,
		Scopes:    rec.Scopes,
		Method:    gatehouse.MethodAPIKey,
		TokenID:   rec.ID,
		ExpiresAt: rec.Expires,
		Claims:    rec,
	}
}

// A principalStore is a [Store] that keeps, beside each immutable record
// snapshot, the Principal newPrincipal builds from it. The middleware then
// hands that one shared Principal to every request authenticated with the
// key (gatehouse.WithPrincipalRef) instead of building and boxing a new
// one per request. The Principal must be rebuilt whenever the snapshot
// changes and never be modified. Other stores need not implement it: for
// them the Principal is built per request.
type principalStore interface {
	lookupPrincipal(ctx context.Context, hash [32]byte) (*Record, *gatehouse.Principal, error)
}

var _ principalStore = (*MemoryStore)(nil)
