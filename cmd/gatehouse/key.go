package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
)

var keyGenerateCmd = &command{
	name: "key generate",
	args: `-env live|test [-tenant T] [-scopes "a b"] [-surfaces "x y"] [-subject S] [-name N] [-expires 90d] [-redis ADDR] [-json]`,
	about: `Generates an API key (apikey.Generate: ak_<env>_…, 190 random bits and a
checksum) and prints it once, on the first line of stdout, followed by the
record to store: its id, display prefix, SHA-256 hash (hex), tenant, scopes,
surfaces and expiry. The key itself is stored nowhere: hand it to its owner.

With -redis (or -redis-cluster) the record is stored in redisstore's API-key
store under -redis-prefix before anything is printed; if that fails, nothing
is printed and nothing is stored.`,
	run: keyGenerate,
}

var keyRevokeCmd = &command{
	name: "key revoke",
	args: "-id ID -redis ADDR [-json]",
	about: `Revokes the API key with the given id in redisstore's API-key store: every
authenticator using the store refuses it from its next request. Revoking a
revoked key keeps its first revocation time.`,
	run: keyRevoke,
}

// keyRecordJSON is the -json form of an API key's record.
type keyRecordJSON struct {
	ID        string   `json:"id"`
	Prefix    string   `json:"prefix"`
	Hash      string   `json:"hash"`
	Name      string   `json:"name,omitempty"`
	Subject   string   `json:"subject,omitempty"`
	Tenant    string   `json:"tenant,omitempty"`
	Scopes    []string `json:"scopes"`
	Surfaces  []string `json:"surfaces"`
	Created   *string  `json:"created"`
	ExpiresAt *string  `json:"expires_at"`
}

func keyGenerate(ctx context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	envName := fs.String("env", "", "key `environment`: live, test, or another label of 1–16 characters [a-z0-9] (required)")
	tenant := fs.String("tenant", "", "the `tenant` (account) the key belongs to")
	scopes := fs.String("scopes", "", "space-separated `scopes` the key grants")
	surfaces := fs.String("surfaces", "", "space-separated API `surfaces` the key may call (apikey Config.Surface)")
	subject := fs.String("subject", "", "the key's owner, the Principal's `subject` (default: the key id)")
	name := fs.String("name", "", "a human `label` for the key")
	expires := fs.String("expires", "", "`lifetime` (90d, 12h) or RFC 3339 time; default: never expires")
	jsonOut := fs.Bool("json", false, "print the key and its record as JSON")
	rf := addRedisFlags(fs)
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *envName == "" {
		return usageErrorf("-env is required (live, test, …)")
	}
	if err := rf.check(false); err != nil {
		return err
	}
	now := e.now()
	scopeList := words(*scopes)
	for _, s := range scopeList {
		if !gatehouse.ValidScope(s) {
			return fmt.Errorf("invalid scope %s: %w", quoteArg(s), gatehouse.ErrMalformedScope)
		}
	}
	var expiresAt time.Time
	if *expires != "" {
		if expiresAt, err = parseInstant(*expires, now); err != nil {
			return fmt.Errorf("-expires: %w", err)
		}
		if !expiresAt.IsZero() && !expiresAt.After(now) {
			return fmt.Errorf("-expires %s is not in the future", *expires)
		}
	}
	key, rec, err := apikey.Generate(*envName)
	if errors.Is(err, apikey.ErrInvalidEnv) {
		return fmt.Errorf("invalid -env %s: want 1–16 characters of [a-z0-9], such as live or test", quoteArg(*envName))
	} else if err != nil {
		return err
	}
	rec.Tenant, rec.Subject, rec.Name = *tenant, *subject, *name
	rec.Scopes, rec.Surfaces = scopeList, words(*surfaces)
	rec.ExpiresAt = expiresAt.UTC()

	stored := ""
	if rf.given() {
		store, err := rf.open()
		if err != nil {
			return err
		}
		defer store.Close()
		ctx, cancel := context.WithTimeout(ctx, 4*rf.timeout)
		defer cancel()
		if err := store.APIKeys().Put(ctx, rec); err != nil {
			return rf.storeErr("store the key", err)
		}
		stored = fmt.Sprintf("%s, prefix %q", rf.describe(), rf.prefix)
		rf.warnLost(e, c, func() error { _, err := store.Lists().AllowList(ctx, "gatehouse-cli-probe"); return err })
	}

	out := keyRecordJSON{
		ID: rec.ID, Prefix: rec.Prefix, Hash: hex.EncodeToString(rec.Hash[:]),
		Name: rec.Name, Subject: rec.Subject, Tenant: rec.Tenant,
		Scopes: nonNil(rec.Scopes), Surfaces: nonNil(rec.Surfaces),
		Created: timeJSON(rec.Created), ExpiresAt: timeJSON(rec.ExpiresAt),
	}
	if *jsonOut {
		return writeJSON(e.stdout, struct {
			Key    string        `json:"key"`
			Record keyRecordJSON `json:"record"`
			Stored string        `json:"stored,omitempty"`
		}{key, out, stored})
	}
	fmt.Fprintln(e.stdout, key)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\n", rec.ID)
	fmt.Fprintf(tw, "prefix\t%s\n", rec.Prefix)
	fmt.Fprintf(tw, "hash\t%s\n", out.Hash)
	for _, f := range [][2]string{{"name", rec.Name}, {"subject", rec.Subject}, {"tenant", rec.Tenant}} {
		if f[1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", f[0], f[1])
		}
	}
	fmt.Fprintf(tw, "scopes\t%s\n", orNone(rec.Scopes))
	fmt.Fprintf(tw, "surfaces\t%s\n", orNone(rec.Surfaces))
	fmt.Fprintf(tw, "created\t%s\n", timeText(rec.Created))
	fmt.Fprintf(tw, "expires\t%s\n", timeText(rec.ExpiresAt))
	if stored != "" {
		fmt.Fprintf(tw, "stored\t%s\n", stored)
	} else {
		fmt.Fprintf(tw, "stored\tnowhere: put this record in the key store (the key is not shown again)\n")
	}
	return tw.Flush()
}

func keyRevoke(ctx context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	id := fs.String("id", "", "the key's `id` (key_…), as key generate printed it (required)")
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	rf := addRedisFlags(fs)
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *id == "" {
		return usageErrorf("-id is required")
	}
	if err := refuseSecret("-id", *id, "the key's id (key_…)", "rotate the key"); err != nil {
		return err
	}
	if err := rf.check(true); err != nil {
		return err
	}
	store, err := rf.open()
	if err != nil {
		return err
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(ctx, 4*rf.timeout)
	defer cancel()
	at := e.now().UTC()
	if err := store.APIKeys().Revoke(ctx, *id, at); errors.Is(err, apikey.ErrKeyNotFound) {
		return fmt.Errorf("no key with id %s under prefix %s in %s", quoteArg(*id), quoteArg(rf.prefix), rf.describe())
	} else if err != nil {
		return rf.storeErr("revoke the key", err)
	}
	if *jsonOut {
		return writeJSON(e.stdout, struct {
			ID      string  `json:"id"`
			Revoked bool    `json:"revoked"`
			At      *string `json:"at"`
		}{*id, true, timeJSON(at)})
	}
	fmt.Fprintf(e.stdout, "revoked key %s\n", *id)
	return nil
}

// orNone joins words, or says there are none.
func orNone(words []string) string {
	if len(words) == 0 {
		return "(none)"
	}
	return strings.Join(words, " ")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
