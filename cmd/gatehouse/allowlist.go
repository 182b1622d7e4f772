package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gatehouse-go/gatehouse/ipallow"
)

var allowlistGetCmd = &command{
	name: "allowlist get",
	args: "ACCOUNT -redis ADDR [-json]",
	about: `Prints the IP allowlist of ACCOUNT in redisstore's list store (what
ipallow.PerPrincipal reads), one prefix a line. An account without a list,
or whose list was set empty on purpose, may call from any address.`,
	run: allowlistGet,
}

var allowlistSetCmd = &command{
	name: "allowlist set",
	args: "ACCOUNT CIDR… -redis ADDR [-json] | allowlist set ACCOUNT -none -redis ADDR",
	about: `Replaces the IP allowlist of ACCOUNT in redisstore's list store with the
given IP addresses and CIDR prefixes (ipallow's syntax: 192.0.2.7,
10.0.0.0/8, 2001:db8::/32; host bits are masked). Every entry is checked
before anything is written: one invalid entry writes nothing.

Giving no entry is a usage error, so that a mistyped command cannot lift an
account's restriction: -none stores the explicit "no restriction" list
(every address allowed), which redisstore's SetIfAbsent seeding keeps.`,
	run: allowlistSet,
}

func allowlistGet(ctx context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	jsonOut := fs.Bool("json", false, "print the list as JSON")
	rf := addRedisFlags(fs)
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usageErrorf("want one ACCOUNT")
	}
	account := pos[0]
	if err := rf.check(true); err != nil {
		return err
	}
	store, err := rf.open()
	if err != nil {
		return err
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*rf.timeout)
	defer cancel()
	list, err := store.Lists().AllowList(ctx, account)
	if err != nil {
		return rf.storeErr("read the allowlist", err)
	}
	return printList(e, account, list, *jsonOut)
}

func allowlistSet(ctx context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	none := fs.Bool("none", false, "store the explicit empty list: every address allowed")
	jsonOut := fs.Bool("json", false, "print the stored list as JSON")
	rf := addRedisFlags(fs)
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErrorf("ACCOUNT is required")
	case pos[0] == "":
		return usageErrorf("ACCOUNT is empty")
	case len(pos) == 1 && !*none:
		return usageErrorf("no CIDR given: to allow every address, say -none")
	case len(pos) > 1 && *none:
		return usageErrorf("-none with CIDRs: give one or the other")
	}
	account := pos[0]
	prefixes := make([]netip.Prefix, 0, len(pos)-1)
	for _, entry := range pos[1:] {
		p, err := parseEntry(entry)
		if err != nil {
			return err
		}
		prefixes = append(prefixes, p)
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
	lists := store.Lists()
	if err := lists.Set(ctx, account, prefixes); err != nil {
		return rf.storeErr("write the allowlist", err)
	}
	rf.warnLost(e, c, func() error { _, err := lists.AllowList(ctx, account); return err })
	for i, p := range prefixes {
		prefixes[i] = p.Masked()
	}
	return printList(e, account, prefixes, *jsonOut)
}

// parseEntry parses one allowlist entry with ipallow's own rules
// (ipallow.ParsePrefixes: strict, no zones) and returns it as a prefix.
func parseEntry(entry string) (netip.Prefix, error) {
	if _, err := ipallow.ParsePrefixes([]string{entry}); err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid entry %s (want an IP address or CIDR prefix such as 10.0.0.0/8): %w; nothing written", quoteArg(entry), ipallow.ErrInvalidPrefix)
	}
	s := strings.TrimSpace(entry)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid entry %s: %w; nothing written", quoteArg(entry), ipallow.ErrInvalidPrefix)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func printList(e *env, account string, list []netip.Prefix, jsonOut bool) error {
	strs := make([]string, len(list))
	for i, p := range list {
		strs[i] = p.String()
	}
	if jsonOut {
		return writeJSON(e.stdout, struct {
			Account  string   `json:"account"`
			Prefixes []string `json:"prefixes"`
		}{account, strs})
	}
	if len(strs) == 0 {
		fmt.Fprintf(e.stdout, "account %q has no allowlist: every address is allowed\n", account)
		return nil
	}
	fmt.Fprintln(e.stdout, strings.Join(strs, "\n"))
	return nil
}
