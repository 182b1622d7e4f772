package apikey

import (
	"context"
	"slices"

	gatehouse "github.com/gatehouse-go/gatehouse"
)

// newPrincipal returns the Principal for an authenticated key's record:
// Method gatehouse.MethodAPIKey, TokenID the key ID, Subject the record's
// Subject (else the key ID), Tenant, Scopes and ExpiresAt from the record,
// and Claims a [RecordView] of rec.
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
		ExpiresAt: rec.ExpiresAt,
		Claims:    RecordView{rec: rec},
	}
}

// A RecordView is the read-only view of an authenticated key's record
// that Principal.Claims holds for an API key. The record may be shared
// with every request that uses the key (the in-memory store shares it), so
// the view hands out copies only. The zero RecordView views the zero
// Record.
type RecordView struct {
	rec *Record
}

// Record returns a copy of the key's record, without its Hash, whose
// Scopes and Surfaces are the caller's own: changing it changes nothing
// another request sees.
func (v RecordView) Record() Record {
	if v.rec == nil {
		return Record{}
	}
	c := *v.rec
	c.Hash = [32]byte{}
	c.Scopes = slices.Clone(c.Scopes)
	c.Surfaces = slices.Clone(c.Surfaces)
	return c
}

// RecordFrom returns a copy of the record of the key that authenticated
// the request ([RecordView.Record]), and whether an API key did.
func RecordFrom(ctx context.Context) (Record, bool) {
	p, ok := gatehouse.PrincipalRefFrom(ctx)
	if !ok {
		return Record{}, false
	}
	v, ok := p.Claims.(RecordView)
	if !ok {
		return Record{}, false
	}
	return v.Record(), true
}

// A principalStore is a [Store] that keeps, beside each immutable record
// snapshot, the Principal newPrincipal builds from it. The middleware then
// hands that one shared Principal to every request authenticated with the
// key (gatehouse.WithPrincipalRef, which gives each request its own copy
// of the Scopes) instead of building a new one per request.
// The Principal must be rebuilt whenever the snapshot changes and never be
// modified. Other stores need not implement it: for
// them the Principal is built per request.
type principalStore interface {
	lookupPrincipal(ctx context.Context, hash [32]byte) (*Record, *gatehouse.Principal, error)
}

var _ principalStore = (*MemoryStore)(nil)
