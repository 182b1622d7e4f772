package tokenendpoint

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gatehouse-go/gatehouse/internal/issuance"
)

// MinAssertionKeyBytes is the shortest HS256 assertion key a client may
// have: the hash size, as RFC 7518 §3.2 requires.
const MinAssertionKeyBytes = 32

// MinInsecureAssertionKeyBytes is the shortest HS256 assertion key of a
// client with Client.InsecureShortAssertionKey set. It lets existing keys
// such as a 15-byte "monApiSignature" be served while still
// refusing keys that are no secret at all: an HS256 assertion lets anyone
// who captures one search for its key offline, and below 8 bytes (64 bits
// even when random, far fewer when typed) that search is cheap; a key that
// short is also most often a mistake ("x", "test", "changeme").
const MinInsecureAssertionKeyBytes = 8

// A Client is a registered API client of the token endpoint: an identity
// with its two credentials, a secret and an assertion key.
//
// Client secrets are server-generated ([GenerateClientSecret], 256 random
// bits) and stored as their SHA-256 only. A salted slow hash (bcrypt) exists
// to make guessing a human-chosen password from its hash expensive; a
// uniformly random 256-bit secret cannot be guessed from its SHA-256 at
// any cost, so one SHA-256 is enough and keeps the client-credentials grant
// at the speed of a signature. Secrets chosen by people must not be used.
//
// The assertion key, by contrast, is an HMAC key: verifying HS256 needs the
// key itself, so a store holds it as it is (encrypt it at rest in a
// database). A Client is a value: stores return copies.
type Client struct {
	// ID is the client_id, compared exactly. Required.
	ID string
	// SecretHash is the SHA-256 of the client secret ([HashClientSecret]).
	// The zero value disables the client_credentials grant for the client.
	SecretHash [32]byte
	// AssertionKey is the HS256 key (an "API signature") that the
	// client signs jwt-bearer assertions with, at least
	// MinAssertionKeyBytes long (MinInsecureAssertionKeyBytes with
	// InsecureShortAssertionKey). Nil disables the jwt-bearer grant; an
	// empty non-nil key is refused.
	AssertionKey []byte
	// InsecureShortAssertionKey accepts an AssertionKey shorter than
	// MinAssertionKeyBytes, down to MinInsecureAssertionKeyBytes, for
	// this client only. This violates RFC 7518 §3.2, which requires an
	// HS256 key of at least 32 bytes: a short key, especially one chosen
	// by a person, can be recovered by an offline search from a single
	// captured assertion, after which anyone can open client sessions in
	// the client's name. Set it only to migrate an existing integration
	// whose key cannot be changed at once, and rotate the client to a key
	// of at least 32 random bytes as soon as it can. It is per client so
	// that one legacy client does not weaken the others; the zero value
	// keeps the RFC's minimum. A ClientStore must persist it with the key.
	InsecureShortAssertionKey bool
	// RequireDPoP refuses, with 400 invalid_dpop_proof, the client's token
	// requests that carry no DPoP proof: its tokens are all bound to a key
	// (RFC 9449), so a stolen one is of no use without the key. The
	// refusal comes after the client authenticated (it is no failed
	// authentication). It needs Config.DPoP. A ClientStore must persist
	// it with the client.
	RequireDPoP bool
	// Subject becomes the tokens' "sub" claim; empty means ID.
	Subject string
	// Tenant, when set, becomes the tokens' "tenant" claim.
	Tenant string
	// Scopes are what the client may be granted, as the space-separated
	// "scope" claim; a client_credentials request may ask for a subset.
	// Each must be one RFC 6749 §3.3 scope-token ([gatehouse.ErrMalformedScope]
	// otherwise).
	Scopes []string
}

func (c Client) subject() string {
	if c.Subject != "" {
		return c.Subject
	}
	return c.ID
}

// validate checks what a store must refuse to hold.
func (c Client) validate() error {
	switch {
	case c.ID == "":
		return errors.New("tokenendpoint: client without ID")
	case c.SecretHash == [32]byte{} && c.AssertionKey == nil:
		return errors.New("tokenendpoint: client " + c.ID + " has neither a secret hash nor an assertion key")
	case c.AssertionKey != nil && len(c.AssertionKey) < MinInsecureAssertionKeyBytes:
		return errors.New("tokenendpoint: client " + c.ID + ": assertion key shorter than 8 bytes, even with InsecureShortAssertionKey")
	case c.AssertionKey != nil && !c.assertionKeyOK():
		return errors.New("tokenendpoint: client " + c.ID + ": assertion key shorter than 32 bytes (RFC 7518 §3.2); set InsecureShortAssertionKey only to serve an existing key that cannot be changed yet")
	}
	if err := issuance.CheckScopes(c.Scopes); err != nil {
		return fmt.Errorf("tokenendpoint: client %s: %w", c.ID, err)
	}
	return nil
}

// assertionKeyOK reports whether the client's assertion key is long enough
// to verify assertions with: MinAssertionKeyBytes, or
// MinInsecureAssertionKeyBytes with InsecureShortAssertionKey. The token
// endpoint checks it again on every client a store returns, so a store
// that does not validate cannot give a client a short key.
func (c Client) assertionKeyOK() bool {
	n := len(c.AssertionKey)
	return n >= MinAssertionKeyBytes || c.InsecureShortAssertionKey && n >= MinInsecureAssertionKeyBytes
}

// A ClientStore finds token-endpoint clients by client_id. LookupClient
// returns ErrClientNotFound for an unknown id and any other error when the
// store failed (the endpoint then answers 503, never 401). The returned
// Client must be a copy the caller may modify. Implementations must be safe
// for concurrent use and pass tokenendpointtest.TestClientStore.
//
// The store only returns the hash and the key; the endpoint checks the
// credentials, so unknown clients and wrong credentials take the same path
// in every implementation.
//
// The returned Client's ID is how the endpoint names the client from then
// on: in the tokens' "client_id" (and "sub" without a Subject), the
// ReplayStore and audit events. It may differ from clientID: a store may
// map a client_id that is a secret (some APIs' clients send their API key)
// to a non-secret identifier. An assertion's "iss" and "sub", which name
// the client as it knows itself, are compared with clientID as sent.
type ClientStore interface {
	LookupClient(ctx context.Context, clientID string) (Client, error)
}

// HashClientSecret returns the SHA-256 of secret, ready for
// Client.SecretHash.
func HashClientSecret(secret string) [32]byte {
	return sha256.Sum256([]byte(secret))
}

// GenerateClientSecret returns a new client secret of 256 random bits,
// base64url encoded (43 characters), and its hash for Client.SecretHash.
// Hand the secret to the client once; store only the hash.
func GenerateClientSecret() (secret string, hash [32]byte) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the process instead)
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashClientSecret(secret)
}

// MemoryClients is the in-memory [ClientStore]. The zero value is not
// usable; call [NewMemoryClients]. It is safe for concurrent use.
type MemoryClients struct {
	mu      sync.RWMutex
	clients map[string]Client
}

// NewMemoryClients returns a store holding clients; it fails when a client
// has no ID, no credential, an assertion key shorter than
// MinAssertionKeyBytes (MinInsecureAssertionKeyBytes with
// InsecureShortAssertionKey), a scope that is not one scope-token
// ([gatehouse.ErrMalformedScope]), or an ID repeats.
func NewMemoryClients(clients ...Client) (*MemoryClients, error) {
	m := &MemoryClients{clients: make(map[string]Client, len(clients))}
	for _, c := range clients {
		if _, dup := m.clients[c.ID]; dup {
			return nil, errors.New("tokenendpoint: duplicate client ID in NewMemoryClients")
		}
		if err := m.Put(context.Background(), c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var _ ClientStore = (*MemoryClients)(nil)

// LookupClient implements [ClientStore].
func (m *MemoryClients) LookupClient(ctx context.Context, clientID string) (Client, error) {
	if err := ctx.Err(); err != nil {
		return Client{}, err
	}
	m.mu.RLock()
	c, ok := m.clients[clientID]
	m.mu.RUnlock()
	if !ok {
		return Client{}, ErrClientNotFound
	}
	return c.clone(), nil
}

// Put adds or replaces the client c.ID, under the rules of
// [NewMemoryClients].
func (m *MemoryClients) Put(ctx context.Context, c Client) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	c = c.clone()
	m.mu.Lock()
	m.clients[c.ID] = c
	m.mu.Unlock()
	return nil
}

// Delete removes the client; deleting an unknown client is not an error.
// Tokens already issued stay valid until they expire or are revoked.
func (m *MemoryClients) Delete(ctx context.Context, clientID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.clients, clientID)
	m.mu.Unlock()
	return nil
}

func (c Client) clone() Client {
	c.AssertionKey = slices.Clone(c.AssertionKey)
	c.Scopes = slices.Clone(c.Scopes)
	return c
}
