package issuer

import (
	"context"
	"time"
)

// A Family is a refresh-token family: one login session. Every rotation
// replaces the family's current refresh token; presenting any earlier one
// is reuse and revokes the whole family. Every access token issued in the
// family carries its ID as the "sid" claim; revoking the family, the issuer
// revokes that session in its Revoker, which
// refuses all of them at once, however many rotations there were — so a
// store keeps no list of access tokens.
//
// A Family is a value: stores return copies and never share its slices.
type Family struct {
	// ID is the session id, carried in access tokens as the "sid" claim.
	ID string
	// Session is who the family is for; every access token issued in the
	// family carries its fields.
	Session
	// CreatedAt is the time of the login that started the family.
	CreatedAt time.Time
	// ExpiresAt is the expiry of the family's current refresh token; the
	// store may forget the family after it. A rotation with an absolute
	// lifetime (RefreshRecord.MaxAge) caps it at CreatedAt + MaxAge.
	ExpiresAt time.Time
	// Revoked is set once the family was revoked: by reuse, by
	// Issuer.RevokeSession, or at the first refresh after a logout or a
	// revocation of its subject.
	Revoked bool
}

// A RefreshRecord is one refresh token as a store sees it: only the
// SHA-256 of the token, never the token.
type RefreshRecord struct {
	Hash      [32]byte  // SHA-256 of the refresh token string
	FamilyID  string    // the family it belongs to
	IssuedAt  time.Time // also the store's notion of "now" for this write
	ExpiresAt time.Time // the token is refused from this instant on

	// MaxAge, when positive, is the family's absolute lifetime, counted
	// from its CreatedAt (Config.RefreshMaxAge); zero means none. Only
	// Rotate reads it: the caller does not know the family's CreatedAt
	// before the rotation, so the store applies the limit in the same
	// atomic step (see RefreshStore.Rotate). Create stores rec as given;
	// the caller caps a first token itself, its CreatedAt being "now".
	MaxAge time.Duration
}

// A RefreshStore holds refresh-token families. Every method is atomic with
// respect to the others, which is what makes rotation safe when the same
// token is presented twice at once: Rotate must decide "rotate" or "reuse"
// in one step (a mutex in memory, a Lua script or transaction in Redis).
// Implementations must be safe for concurrent use and pass
// issuertest.TestRefreshStore.
//
// The store never sees a clock: the times in a RefreshRecord are the
// caller's "now", so a store (and its tests) is deterministic.
type RefreshStore interface {
	// Create stores f as a new family whose current token is rec (rec's
	// FamilyID equals f.ID; f.ExpiresAt is replaced by rec.ExpiresAt). It returns ErrFamilyExists when the
	// family id or the token hash is already stored.
	Create(ctx context.Context, f Family, rec RefreshRecord) error

	// Lookup returns the family of the token whose hash is hash, whether or
	// not that token is still current. It returns ErrRefreshNotFound when
	// the hash is unknown or the token expired at or before now. It is a
	// read for cheap pre-checks (the account's IP allowlist); only Rotate
	// decides.
	Lookup(ctx context.Context, hash [32]byte, now time.Time) (Family, error)

	// Rotate atomically replaces the current token oldHash of its family by
	// next (next.FamilyID is ignored and set to the family's id) and
	// returns the updated family. When next.MaxAge is positive, the new
	// token's expiry is the earlier of next.ExpiresAt and the family's
	// CreatedAt + next.MaxAge (the returned ExpiresAt is the one stored).
	// It fails, changing nothing unless stated, with
	//
	//	ErrRefreshNotFound  oldHash unknown, or expired at next.IssuedAt, or
	//	                    (checked after the two below) next.MaxAge is
	//	                    positive and next.IssuedAt is not before the
	//	                    family's CreatedAt + next.MaxAge
	//	ErrFamilyRevoked    the family was revoked (the family is returned)
	//	ErrRefreshReused    oldHash was already rotated: the store revokes
	//	                    the family in the same step and returns it
	//	ErrFamilyExists     next.Hash is already stored
	Rotate(ctx context.Context, oldHash [32]byte, next RefreshRecord) (Family, error)

	// RevokeFamily marks the family revoked and returns it. Revoking a
	// revoked family succeeds again (logout is idempotent). It returns
	// ErrFamilyNotFound for an unknown family id.
	RevokeFamily(ctx context.Context, id string) (Family, error)
}
