package issuer

import (
	"context"
	"time"
)

// A Family is a refresh-token family: one login session. Every rotation
// replaces the family's current refresh token; presenting one of the
// RefreshRing tokens it replaced last is reuse and revokes the whole
// family (an older one is unknown, refused without revoking: see
// RefreshRing). Every refresh token names its family (the issuer reads
// the family id from it before it calls the store), so a store files
// everything about a family under its id. Every access token issued in
// the family carries its ID as the "sid" claim; revoking the family, the
// issuer revokes that session in its revocation store, which refuses all of them
// at once, however many rotations there were — so a store keeps no list
// of access tokens.
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
	// JKT is the RFC 7638 thumbprint of the DPoP key the family is bound
	// to (RFC 9449 §5), set at login from the login request's DPoP proof
	// and never changed: every refresh must carry a proof made with that
	// key. "" for a family that is not bound. A store persists it with
	// the family.
	JKT string
}

// RefreshRing is how many rotated refresh tokens per family a store
// remembers, newest first, besides the current one: reuse detection
// covers the last RefreshRing rotations. A token rotated longer ago is
// forgotten; presented again it is unknown (ErrRefreshNotFound, a 401)
// and never accepted, but it does not revoke the family: the store can no
// longer tell it from a forged token that names the family, and anyone
// who has seen one of the family's access tokens (their "sid") could
// otherwise end the session at will. With hourly refreshes the window is
// 16 hours; a thief who holds a token that long is still refused, and is
// caught as soon as the client presents a token the thief rotated.
const RefreshRing = 16

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

	// ReuseGrace, when positive, is the reuse grace (Config.
	// RefreshReuseGrace); zero means none. Only Rotate reads it: the token
	// the family's last rotation replaced, presented again before that
	// rotation's IssuedAt + ReuseGrace, rotates once more instead of
	// counting as reuse (see RefreshStore.Rotate).
	ReuseGrace time.Duration
}

// A RefreshStore holds refresh-token families. Every method is atomic with
// respect to the others, which is what makes rotation safe when the same
// token is presented twice at once: Rotate must decide "rotate" or "reuse"
// in one step (a mutex in memory, a Lua script in Redis). Everything a
// method reads or writes belongs to one family, named by the caller, so a
// sharded store keeps each family in one shard (one Redis Cluster hash
// slot) and spreads families over all of them. A store keeps O(1) state
// per family however many rotations it has seen: the current token and
// the RefreshRing tokens rotated last.
// Implementations must be safe for concurrent use and pass
// issuertest.TestRefreshStore.
//
// The store never sees a clock: the times in a RefreshRecord are the
// caller's "now", so a store (and its tests) is deterministic.
type RefreshStore interface {
	// Create stores f as a new family whose current token is rec (rec's
	// FamilyID equals f.ID; f.ExpiresAt is replaced by rec.ExpiresAt). It
	// returns ErrFamilyExists when the family id is already stored.
	Create(ctx context.Context, f Family, rec RefreshRecord) error

	// Lookup returns the family familyID when hash is the SHA-256 of its
	// current token or of one of the RefreshRing tokens it rotated last,
	// whether or not that token is still current. It returns
	// ErrRefreshNotFound when the family is unknown, the hash is not one
	// of those, or the token expired at or before now. It is a read for
	// cheap pre-checks (the account's IP allowlist); only Rotate decides.
	Lookup(ctx context.Context, familyID string, hash [32]byte, now time.Time) (Family, error)

	// Rotate atomically replaces oldHash, the current token of the family
	// next.FamilyID (the family the presented token names), by next and
	// returns the updated family. When next.MaxAge is positive, the new
	// token's expiry is the earlier of next.ExpiresAt and the family's
	// CreatedAt + next.MaxAge (the returned ExpiresAt is the one stored).
	// It fails, changing nothing unless stated, with
	//
	//	ErrRefreshNotFound  the family is unknown; or oldHash is neither its
	//	                    current token nor one of the RefreshRing it
	//	                    rotated last (a token of another family
	//	                    included); or that token expired at
	//	                    next.IssuedAt; or (checked after the two below)
	//	                    next.MaxAge is positive and next.IssuedAt is not
	//	                    before the family's CreatedAt + next.MaxAge
	//	ErrFamilyRevoked    the family was revoked (the family is returned)
	//	ErrRefreshReused    oldHash was already rotated: the store revokes
	//	                    the family in the same step and returns it
	//	ErrFamilyExists     next.Hash is the family's current token or one
	//	                    it remembers
	//
	// The reuse grace: when next.ReuseGrace is positive, oldHash is the
	// token the family's last rotation replaced (not a grace rotation's),
	// that rotation's IssuedAt + next.ReuseGrace is after next.IssuedAt,
	// and no grace rotation followed it, Rotate rotates instead of
	// reporting reuse: the current token — the one whose answer the client
	// lost — is replaced by next and remembered as rotated (presented
	// later, it is reuse), so the family continues from next only. Any
	// other presentation of a rotated token, a second retry included, is
	// reuse.
	//
	// Rotate is idempotent: repeated with the oldHash and next.Hash of the
	// rotation that made next.Hash current (a store client resending a
	// call whose reply it lost), it returns the family as it is, changing
	// nothing, instead of reporting reuse. Only a repeat can name next.Hash:
	// the caller draws a new token for every call.
	Rotate(ctx context.Context, oldHash [32]byte, next RefreshRecord) (Family, error)

	// RevokeFamily marks the family revoked and returns it. Revoking a
	// revoked family succeeds again (logout is idempotent). It returns
	// ErrRefreshNotFound for an unknown family id.
	RevokeFamily(ctx context.Context, id string) (Family, error)
}
