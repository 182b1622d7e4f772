package apikey

import (
	"context"
	"slices"
	"time"
)

// A Record is what a [Store] keeps about one API key: everything except the
// key itself, of which only the SHA-256 Hash is kept.
//
// The zero Record is invalid: a stored record needs an ID and a Hash.
type Record struct {
	// ID identifies the key publicly (see [NewID]): in audit events, in
	// Principal.TokenID and in Revoke calls. Required.
	ID string
	// Prefix is the key's display prefix ([DisplayPrefix]), shown to humans
	// to tell keys apart. Optional.
	Prefix string
	// Hash is the SHA-256 of the key ([Hash]). It is given to Put and is
	// never returned by Lookup, so it never reaches handlers or logs.
	Hash [32]byte
	// Name is a human label such as "Supplier integration". Optional.
	Name string
	// Subject is the key's owner, the authenticated Principal's Subject;
	// when empty the Principal's Subject is the key ID.
	Subject string
	// Tenant is the account the key belongs to.
	Tenant string
	// Scopes are the permissions the key grants, copied to Principal.Scopes.
	Scopes []string
	// Surfaces names the API surfaces (route groups such as "payment",
	// "supplier") the key may call. A middleware with a Config.Surface
	// admits only keys that list it; one without admits any key.
	Surfaces []string
	// Created is when the key was generated.
	Created time.Time
	// ExpiresAt is when the key stops working; zero means never.
	ExpiresAt time.Time
	// Revoked is set by Store.Revoke; a revoked key is refused at once.
	Revoked bool
	// RevokedAt is when the key was revoked.
	RevokedAt time.Time
	// LastUsed is the last time the key authenticated a request, at the
	// granularity of Config.TouchInterval.
	LastUsed time.Time
}

// HasSurface reports whether the key may call surface.
func (r *Record) HasSurface(surface string) bool {
	return slices.Contains(r.Surfaces, surface)
}

// A Store holds key records keyed by the SHA-256 of the key. The plaintext
// key never reaches a Store. Implementations must be safe for concurrent
// use; every method takes the request's context and reports failures as
// errors, which the middleware turns into 503 — never into a pass.
//
// [NewMemoryStore] is the in-memory implementation; package apikeytest
// holds the conformance tests every implementation must pass.
type Store interface {
	// Lookup returns the record stored under hash, or an error wrapping
	// ErrKeyNotFound. It must run in time independent of how much of hash
	// matches a stored hash (a hash-keyed map or index is, see "Timing" in
	// the package README) and confirm the match with a constant-time comparison.
	//
	// The returned record's Hash is always zero: the hash goes into a store
	// and never comes out. The record is read-only: implementations may
	// return the same *Record to concurrent callers (the in-memory store
	// does, which keeps authentication allocation-free), and callers must
	// not modify it or its slices.
	Lookup(ctx context.Context, hash [32]byte) (*Record, error)

	// Put stores rec under rec.Hash. It returns an error wrapping
	// ErrInvalidRecord when rec has no ID or a zero Hash, and one wrapping
	// ErrDuplicateKey when its ID or Hash is already stored.
	Put(ctx context.Context, rec Record) error

	// Revoke marks the key with the given ID revoked at time at, effective
	// for every later Lookup. Revoking a revoked key succeeds and keeps the
	// first RevokedAt. An absent ID is an error wrapping ErrKeyNotFound.
	Revoke(ctx context.Context, id string, at time.Time) error

	// Touch records that the key was used at time at. LastUsed never moves
	// backwards: an earlier at is ignored. An absent ID is an error wrapping
	// ErrKeyNotFound. The middleware calls Touch at most once per key per
	// Config.TouchInterval, never once per request.
	Touch(ctx context.Context, id string, at time.Time) error

	// Delete removes the key with the given ID; an absent ID is an error
	// wrapping ErrKeyNotFound.
	Delete(ctx context.Context, id string) error
}
