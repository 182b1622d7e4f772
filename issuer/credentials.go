package issuer

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/gatehouse-go/gatehouse/internal/issuance"
	"golang.org/x/crypto/bcrypt"
)

// maxPasswordBytes is the longest password bcrypt can check; longer ones
// are refused (after the same work as a wrong password) rather than
// silently truncated.
const maxPasswordBytes = 72

// An Account is a login identity: the credentials and the session the
// issuer starts for it.
type Account struct {
	// Username is what the client logs in with, compared exactly.
	Username string
	// PasswordHash is a bcrypt hash of the password (see HashPassword). It
	// is never logged or rendered.
	PasswordHash string
	// Subject becomes the tokens' "sub" claim; empty means Username.
	Subject string
	// Tenant, when set, becomes the tokens' "tenant" claim. The account's IP
	// allowlist is looked up under Tenant, or Subject when Tenant is empty
	// (ipallow.PerPrincipal's default key, so login, refresh and API calls
	// agree).
	Tenant string
	// ClientID becomes the "client_id" claim and the client_id of the login
	// response (a JSON number when it is all decimal digits, see [Pair]).
	ClientID string
	// Scopes become the space-separated "scope" claim; each must be one
	// RFC 6749 §3.3 scope-token ([gatehouse.ErrMalformedScope] otherwise).
	Scopes []string
	// Disabled refuses the account: login answers it as it answers a wrong
	// password (the same 401, after the same work), and Refresh refuses
	// and revokes its sessions at their next refresh. Access tokens
	// already issued stay valid until they expire: revoke them with
	// Issuer.RevokeSubject.
	Disabled bool
}

func (a Account) subject() string {
	if a.Subject != "" {
		return a.Subject
	}
	return a.Username
}

// allowlistKey returns the account key of a session's IP allowlist: the
// tenant, else the subject (ipallow.PerPrincipal's default).
func (s Session) allowlistKey() string {
	if s.Tenant != "" {
		return s.Tenant
	}
	return s.Subject
}

// A CredentialStore finds accounts by user name, for login, and by
// subject, for Refresh to check that a session's account still exists and
// is not disabled. Both return ErrAccountNotFound for an unknown account
// and any other error when the store failed (the handler then answers 503,
// never 401). A subject names at most one account: the Subject, or the
// Username of an account without one. Implementations must be safe for
// concurrent use and pass issuertest.TestCredentialStore.
//
// The store only returns the hash; the issuer checks the password, so that
// unknown users and wrong passwords take the same path in every
// implementation.
type CredentialStore interface {
	LookupAccount(ctx context.Context, username string) (Account, error)
	LookupSubject(ctx context.Context, subject string) (Account, error)
}

// HashPassword returns the bcrypt hash of password at cost (0 means
// bcrypt.DefaultCost, 10: about 50 ms per check on a current server core,
// see the package README), ready for Account.PasswordHash. Passwords
// longer than 72 bytes, which bcrypt cannot check whole, are refused
// rather than truncated.
func HashPassword(password string, cost int) (string, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	if len(password) > maxPasswordBytes {
		return "", bcrypt.ErrPasswordTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// MemoryCredentials is the in-memory [CredentialStore]. The zero value is
// not usable; call [NewMemoryCredentials]. It is safe for concurrent use.
type MemoryCredentials struct {
	mu       sync.RWMutex
	accounts map[string]Account
	subjects map[string]string // subject → username
}

// NewMemoryCredentials returns a store holding accounts; it fails when an
// account has no user name, no valid bcrypt hash or a scope that is not
// one scope-token ([gatehouse.ErrMalformedScope]), or a user name or a subject
// repeats.
func NewMemoryCredentials(accounts ...Account) (*MemoryCredentials, error) {
	m := &MemoryCredentials{accounts: make(map[string]Account, len(accounts)), subjects: make(map[string]string, len(accounts))}
	for _, a := range accounts {
		if _, dup := m.accounts[a.Username]; dup {
			return nil, errors.New("issuer: duplicate username in NewMemoryCredentials")
		}
		if err := m.Put(context.Background(), a); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var _ CredentialStore = (*MemoryCredentials)(nil)

// LookupAccount implements [CredentialStore].
func (m *MemoryCredentials) LookupAccount(ctx context.Context, username string) (Account, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, err
	}
	m.mu.RLock()
	a, ok := m.accounts[username]
	m.mu.RUnlock()
	if !ok {
		return Account{}, ErrAccountNotFound
	}
	a.Scopes = slices.Clone(a.Scopes)
	return a, nil
}

// LookupSubject implements [CredentialStore].
func (m *MemoryCredentials) LookupSubject(ctx context.Context, subject string) (Account, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, err
	}
	m.mu.RLock()
	a, ok := m.accounts[m.subjects[subject]]
	m.mu.RUnlock()
	if !ok || subject == "" {
		return Account{}, ErrAccountNotFound
	}
	a.Scopes = slices.Clone(a.Scopes)
	return a, nil
}

// Put adds or replaces the account a.Username. It fails when the user name
// is empty, PasswordHash is not a bcrypt hash, a scope is not one
// scope-token ([gatehouse.ErrMalformedScope]), or another account carries the same
// subject (ErrSubjectTaken).
func (m *MemoryCredentials) Put(ctx context.Context, a Account) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.Username == "" {
		return errors.New("issuer: account without username")
	}
	if _, err := bcrypt.Cost([]byte(a.PasswordHash)); err != nil {
		return errors.New("issuer: account PasswordHash is not a bcrypt hash")
	}
	if err := issuance.CheckScopes(a.Scopes); err != nil {
		return err
	}
	a.Scopes = slices.Clone(a.Scopes)
	sub := a.subject()
	m.mu.Lock()
	defer m.mu.Unlock()
	if owner, taken := m.subjects[sub]; taken && owner != a.Username {
		return ErrSubjectTaken
	}
	if old, ok := m.accounts[a.Username]; ok {
		delete(m.subjects, old.subject())
	}
	m.accounts[a.Username] = a
	m.subjects[sub] = a.Username
	return nil
}

// Delete removes the account; deleting an unknown account is not an error.
// Its sessions end at their next refresh; its access tokens stay valid
// until they expire unless revoked (Issuer.RevokeSubject).
func (m *MemoryCredentials) Delete(ctx context.Context, username string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	if old, ok := m.accounts[username]; ok {
		delete(m.subjects, old.subject())
		delete(m.accounts, username)
	}
	m.mu.Unlock()
	return nil
}
