package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// keyClients is the tokenendpoint.ClientStore of POST /v2/token. Seed 002's
// client sends its API key as client_id; keyClients finds the client by the
// SHA-256 of that key (compared in constant time) and returns it under its
// internal id, so that the key, a secret, never becomes a token claim, a
// replay-store key, a voucher field or an audit field. It keeps no key,
// only the digest.
type keyClients struct {
	keyHash  [32]byte
	internal string
	clients  *tokenendpoint.MemoryClients // the client, stored under its internal id
}

// newKeyClients stores c, whose ID is the internal id, behind apiKey.
func newKeyClients(apiKey string, c tokenendpoint.Client) (*keyClients, error) {
	clients, err := tokenendpoint.NewMemoryClients(c)
	if err != nil {
		return nil, err
	}
	return &keyClients{keyHash: sha256.Sum256([]byte(apiKey)), internal: c.ID, clients: clients}, nil
}

// LookupClient implements tokenendpoint.ClientStore: clientID is the API key.
func (k *keyClients) LookupClient(ctx context.Context, clientID string) (tokenendpoint.Client, error) {
	if err := ctx.Err(); err != nil {
		return tokenendpoint.Client{}, err
	}
	h := sha256.Sum256([]byte(clientID))
	if subtle.ConstantTimeCompare(h[:], k.keyHash[:]) != 1 {
		return tokenendpoint.Client{}, tokenendpoint.ErrClientNotFound
	}
	return k.clients.LookupClient(ctx, k.internal)
}
