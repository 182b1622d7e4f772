package redisstore

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/bearer/issuer"
)

// Credentials is the Redis [issuer.CredentialStore]: one hash per login
// account ("<prefix>acct:<username>") holding its bcrypt password hash and
// session fields — never a password. A fleet shares accounts through it
// (the in-memory issuer.MemoryCredentials, seeded identically on every
// instance at start, does as well for a fixed set of accounts). Lookup is
// one HGETALL; while Redis is unreachable it fails and login answers 503.
// It is safe for concurrent use.
type Credentials struct{ s *Store }

var _ issuer.CredentialStore = (*Credentials)(nil)

// LookupAccount implements [issuer.CredentialStore].
func (c *Credentials) LookupAccount(ctx context.Context, username string) (issuer.Account, error) {
	if username == "" {
		if err := ctx.Err(); err != nil {
			return issuer.Account{}, err
		}
		return issuer.Account{}, issuer.ErrAccountNotFound
	}
	ctx, cancel := c.s.ctx(ctx)
	defer cancel()
	m, err := c.s.client.HGetAll(ctx, c.s.key("acct:", username)).Result()
	if err != nil {
		return issuer.Account{}, wrap("lookup account", err)
	}
	if len(m) == 0 {
		return issuer.Account{}, issuer.ErrAccountNotFound
	}
	a := issuer.Account{Username: username, PasswordHash: m["pw"], Subject: m["sub"], Tenant: m["ten"], ClientID: m["cid"]}
	if a.Scopes, err = decStrings(m["scp"]); err != nil {
		return issuer.Account{}, err
	}
	return a, nil
}

// Put adds or replaces the account a.Username. It fails when the user name
// is empty or PasswordHash is not a bcrypt hash (see issuer.HashPassword).
func (c *Credentials) Put(ctx context.Context, a issuer.Account) error {
	if a.Username == "" {
		return errors.New("redisstore: account without username")
	}
	if _, err := bcrypt.Cost([]byte(a.PasswordHash)); err != nil {
		return errors.New("redisstore: account PasswordHash is not a bcrypt hash")
	}
	ctx, cancel := c.s.ctx(ctx)
	defer cancel()
	key := c.s.key("acct:", a.Username)
	_, err := c.s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.HSet(ctx, key, "pw", a.PasswordHash, "sub", a.Subject, "ten", a.Tenant, "cid", a.ClientID, "scp", encStrings(a.Scopes))
		return nil
	})
	return wrap("put account", err)
}

// Delete removes the account; deleting an unknown account is not an error.
// Sessions already started are not affected.
func (c *Credentials) Delete(ctx context.Context, username string) error {
	ctx, cancel := c.s.ctx(ctx)
	defer cancel()
	return wrap("delete account", c.s.client.Del(ctx, c.s.key("acct:", username)).Err())
}
