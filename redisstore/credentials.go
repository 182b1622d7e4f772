package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/issuer"
)

// Credentials is the Redis [issuer.CredentialStore]. Each login account
// is a hash, and each subject an index entry naming its account:
//
//	<prefix>acct:<username>     hash: pw (bcrypt hash), sub, ten, cid,
//	                            scp (JSON array), dis ("1": disabled)
//	<prefix>acctsub:<subject>   string: the username whose account has
//	                            that subject (its Subject, or its Username
//	                            when Subject is empty)
//
// never a password, and neither expires. A fleet shares accounts through
// it (the in-memory issuer.MemoryCredentials, seeded identically on every
// instance at start, does as well for a fixed set of accounts).
// LookupAccount is one HGETALL; LookupSubject a GET and an HGETALL, and it
// checks that the account still has the subject, so a stale index entry
// finds nothing (without an index entry, it reads the account whose user
// name is the subject, which must then have no Subject of its own). While Redis is unreachable they fail and login or refresh
// answers 503. Every command touches one key, so the store works on a
// Redis Cluster; Put and Delete are therefore not atomic across an account
// and its index entry, and are ordered so that an interrupted write leaves
// at worst an index entry that finds nothing (a subject cannot be lost to
// a crash, only found stale and taken over by the next Put). It is safe
// for concurrent use.
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
	return c.lookup(ctx, username)
}

// lookup reads the account username; ctx is already bounded.
func (c *Credentials) lookup(ctx context.Context, username string) (issuer.Account, error) {
	m, err := c.s.client.HGetAll(ctx, c.s.key("acct:", username)).Result()
	if err != nil {
		return issuer.Account{}, wrap("lookup account", err)
	}
	if len(m) == 0 {
		return issuer.Account{}, issuer.ErrAccountNotFound
	}
	a := issuer.Account{Username: username, PasswordHash: m["pw"], Subject: m["sub"], Tenant: m["ten"], ClientID: m["cid"], Disabled: m["dis"] == "1"}
	if a.Scopes, err = decStrings(m["scp"]); err != nil {
		return issuer.Account{}, err
	}
	return a, nil
}

// subjectOf returns the subject an account's tokens carry.
func subjectOf(a issuer.Account) string {
	if a.Subject != "" {
		return a.Subject
	}
	return a.Username
}

// LookupSubject implements [issuer.CredentialStore].
func (c *Credentials) LookupSubject(ctx context.Context, subject string) (issuer.Account, error) {
	if subject == "" {
		if err := ctx.Err(); err != nil {
			return issuer.Account{}, err
		}
		return issuer.Account{}, issuer.ErrAccountNotFound
	}
	ctx, cancel := c.s.ctx(ctx)
	defer cancel()
	username, err := c.s.client.Get(ctx, c.s.key("acctsub:", subject)).Result()
	if errors.Is(err, redis.Nil) {
		// No index entry: the account of that user name, if it has no
		// Subject of its own (accounts stored before the index existed).
		username, err = subject, nil
	}
	if err != nil {
		return issuer.Account{}, wrap("lookup subject", err)
	}
	a, err := c.lookup(ctx, username)
	if err != nil {
		return issuer.Account{}, err
	}
	if subjectOf(a) != subject {
		return issuer.Account{}, issuer.ErrAccountNotFound // a stale index entry
	}
	return a, nil
}

// putAccountScript replaces the account KEYS[1] by the field/value pairs
// ARGV, in one step.
var putAccountScript = newScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`)

// releaseScript deletes the index entry KEYS[1] if it still names ARGV[1].
var releaseScript = newScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`)

// Put adds or replaces the account a.Username. It fails when the user name
// is empty, PasswordHash is not a bcrypt hash (see issuer.HashPassword) or
// a scope is not one RFC 6749 scope-token (an error wrapping
// gatehouse.ErrMalformedScope), and with issuer.ErrSubjectTaken when another account has a's subject;
// nothing is written then. Two Puts racing to give two accounts one
// subject may both succeed; LookupSubject then finds the one that wrote
// the index entry last. The account is written in one script; with
// Config.MinReplicas that write waits for the replicas (a Put may disable
// the account or take scopes away) and, when too few acknowledge it, Put
// fails with an error wrapping [ErrNotReplicated] (the account was
// written on the master).
func (c *Credentials) Put(ctx context.Context, a issuer.Account) error {
	if a.Username == "" {
		return errors.New("redisstore: account without username")
	}
	if _, err := bcrypt.Cost([]byte(a.PasswordHash)); err != nil {
		return errors.New("redisstore: account PasswordHash is not a bcrypt hash")
	}
	for i, sc := range a.Scopes {
		if !gatehouse.ValidScope(sc) {
			return fmt.Errorf("redisstore: account scope #%d: %w", i+1, gatehouse.ErrMalformedScope)
		}
	}
	ctx, cancel := c.s.ctx(ctx)
	defer cancel()
	oldSub, found, err := c.subjectOf(ctx, a.Username)
	if err != nil {
		return err
	}
	sub := subjectOf(a)
	if err := c.claim(ctx, sub, a.Username); err != nil {
		return err
	}
	key := c.s.key("acct:", a.Username)
	dis := ""
	if a.Disabled {
		dis = "1"
	}
	werr := c.s.runScript(ctx, putAccountScript, []string{key},
		"pw", a.PasswordHash, "sub", a.Subject, "ten", a.Tenant, "cid", a.ClientID, "scp", encStrings(a.Scopes), "dis", dis).Err()
	if werr != nil && !errors.Is(werr, ErrNotReplicated) {
		return wrap("put account", werr)
	}
	if found && oldSub != sub {
		if err := c.release(ctx, oldSub, a.Username); err != nil {
			return err
		}
	}
	return wrap("put account", werr)
}

// subjectOf reads the subject of the stored account username (its "sub"
// field, or username when empty), and whether the account exists. It reads
// that field alone, so that a record whose other fields are corrupt can
// still be replaced or deleted.
func (c *Credentials) subjectOf(ctx context.Context, username string) (string, bool, error) {
	sub, err := c.s.client.HGet(ctx, c.s.key("acct:", username), "sub").Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, wrap("read account subject", err)
	case sub == "":
		return username, true, nil
	}
	return sub, true, nil
}

// claim points the index entry of subject at username, unless it names
// another account that still has that subject (ErrSubjectTaken).
func (c *Credentials) claim(ctx context.Context, subject, username string) error {
	idx := c.s.key("acctsub:", subject)
	ok, err := c.s.client.SetNX(ctx, idx, username, 0).Result()
	if err != nil {
		return wrap("claim subject", err)
	}
	if ok {
		return nil
	}
	owner, err := c.s.client.Get(ctx, idx).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return wrap("claim subject", err)
	}
	if owner == username {
		return nil
	}
	if owner != "" {
		other, err := c.lookup(ctx, owner)
		switch {
		case err == nil && subjectOf(other) == subject:
			return issuer.ErrSubjectTaken
		case err != nil && !errors.Is(err, issuer.ErrAccountNotFound):
			return err
		}
	}
	// A stale entry (its account is gone or has another subject): take it.
	return wrap("claim subject", c.s.client.Set(ctx, idx, username, 0).Err())
}

// release deletes the index entry of subject if it still names username.
func (c *Credentials) release(ctx context.Context, subject, username string) error {
	return wrap("release subject", releaseScript.Run(ctx, c.s.client, []string{c.s.key("acctsub:", subject)}, username).Err())
}

// Delete removes the account and its subject's index entry; deleting an
// unknown account is not an error. Its sessions end at their next refresh;
// its access tokens stay valid until they expire unless revoked
// (issuer.Issuer.RevokeSubject). With Config.MinReplicas the removal
// waits for the replicas, and fails with an error wrapping
// [ErrNotReplicated] when too few acknowledge it (the account was removed
// on the master).
func (c *Credentials) Delete(ctx context.Context, username string) error {
	ctx, cancel := c.s.ctx(ctx)
	defer cancel()
	sub, found, err := c.subjectOf(ctx, username)
	if err != nil || !found {
		return err
	}
	key := c.s.key("acct:", username)
	werr := c.s.replicated(ctx, key, func(p redis.Pipeliner) { p.Del(ctx, key) })
	if werr != nil && !errors.Is(werr, ErrNotReplicated) {
		return wrap("delete account", werr)
	}
	if err := c.release(ctx, sub, username); err != nil {
		return err
	}
	return wrap("delete account", werr)
}
