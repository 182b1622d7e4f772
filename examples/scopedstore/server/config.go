package server

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
)

// DefaultRateLimit is how many requests a minute each token may make when
// Config.RateLimit is zero.
const DefaultRateLimit = 60

// MinTokenLength is the shortest token a TokenSpec may hold: anything
// shorter is guessable.
const MinTokenLength = 16

// TokenPrefix starts every token the server generates.
const TokenPrefix = "sst_"

// A TokenSpec is one API token given at start, as a TOKENS_FILE entry:
//
//	{"token": "sst_…", "store": "acme", "scopes": ["products:read"], "expires_at": "2026-12-31T23:59:59Z"}
//
// expires_at is optional (RFC 3339; absent or null: the token never
// expires). From that instant on the token answers 401 with seed 004's
// "Invalid or missing API token" ("Token has expired"). The server keeps
// only the token's SHA-256.
type TokenSpec struct {
	Token     string    `json:"token"`
	Store     string    `json:"store"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never expires
}

// fileSpec is a TOKENS_FILE entry as read, before expires_at is parsed, so
// that a malformed time is an error naming its entry and field.
type fileSpec struct {
	Token     string   `json:"token"`
	Store     string   `json:"store"`
	Scopes    []string `json:"scopes"`
	ExpiresAt *string  `json:"expires_at"`
}

// parseExpiresAt parses an expires_at value: an RFC 3339 date-time with a
// time zone (Z or ±hh:mm), returned in UTC. Anything else, including a
// time without a zone or a date alone, is an error naming the field.
func parseExpiresAt(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errExpiresAtFormat
	}
	return t.UTC(), nil
}

var errExpiresAtFormat = errors.New("expires_at must be an RFC 3339 time such as 2026-12-31T23:59:59Z")

// Config configures the scoped store. The zero Config is usable but has no
// tokens, so every API call answers 401.
type Config struct {
	// Tokens are the API tokens known at start. Each must name a store
	// (a lower-case DNS label) and a non-empty subset of the eleven scopes.
	// Every store a token names exists, filled with sample data.
	Tokens []TokenSpec
	// RateLimit is the number of requests a minute each token may make
	// (in bursts of as many); zero means DefaultRateLimit.
	RateLimit int
	// Audit receives every access decision; nil means none.
	Audit gatehouse.Auditor
	// Now is the clock, for the rate limit and timestamps; nil means
	// time.Now.
	Now func() time.Time
}

// Demo stores and token names used when no TOKENS_FILE is given.
const (
	DemoStore      = "acme"
	DemoOtherStore = "globex"
)

// FromEnv builds a Config from the environment read through getenv
// (os.Getenv in the command): TOKENS_FILE, a JSON list of TokenSpec, and
// RATE_LIMIT, requests per minute per token. Without TOKENS_FILE it
// generates demo tokens (see DemoTokens) and reports demo as true. Errors
// name the variable and the faulty entry, never a token.
func FromEnv(getenv func(string) string) (cfg Config, demo bool, err error) {
	if s := getenv("RATE_LIMIT"); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return cfg, false, errors.New("RATE_LIMIT must be a positive number of requests per minute")
		}
		cfg.RateLimit = n
	}
	path := getenv("TOKENS_FILE")
	if path == "" {
		cfg.Tokens = DemoTokens()
		return cfg, true, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, false, fmt.Errorf("TOKENS_FILE: %w", err)
	}
	if cfg.Tokens, err = ParseTokens(bytes.NewReader(data)); err != nil {
		return cfg, false, fmt.Errorf("TOKENS_FILE %s: %w", path, err)
	}
	return cfg, false, nil
}

// ParseTokens reads a JSON list of TokenSpec and validates it: unknown
// members, an empty list, a token shorter than MinTokenLength or holding
// white space, a duplicate token, a store that is not a lower-case DNS label,
// an empty or unknown scope, and an expires_at that is not an RFC 3339 time
// are errors naming the entry (1-based) but never its token.
//
// An expires_at already past is accepted: the token is loaded and answers
// 401, as an expired token does. Refusing it would make a restart fail on
// the day one token of the file expires, taking every other token down.
func ParseTokens(r io.Reader) ([]TokenSpec, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var entries []fileSpec
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("want a JSON list of {\"token\",\"store\",\"scopes\"}: %w", err)
	}
	// Exactly one JSON value: anything but EOF after it (even a "]" that
	// dec.More would skip) is trailing data.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON list")
	}
	if len(entries) == 0 {
		return nil, errors.New("the list holds no token")
	}
	specs := make([]TokenSpec, len(entries))
	for i, e := range entries {
		s := TokenSpec{Token: e.Token, Store: e.Store, Scopes: e.Scopes}
		if e.ExpiresAt != nil {
			t, err := parseExpiresAt(*e.ExpiresAt)
			if err != nil {
				return nil, fmt.Errorf("entry %d: %w", i+1, err)
			}
			s.ExpiresAt = t
		}
		specs[i] = s
		if err := validateSpec(s); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		for j := range i {
			if specs[j].Token == s.Token {
				return nil, fmt.Errorf("entry %d: same token as entry %d", i+1, j+1)
			}
		}
	}
	return specs, nil
}

func validateSpec(s TokenSpec) error {
	switch {
	case len(s.Token) < MinTokenLength:
		return fmt.Errorf("token must be at least %d characters", MinTokenLength)
	case strings.ContainsFunc(s.Token, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		return errors.New("token must be printable ASCII without spaces")
	case !validStore(s.Store):
		return errors.New(`store must be a lower-case DNS label such as "acme"`)
	case len(s.Scopes) == 0:
		return errors.New("scopes must list at least one scope")
	}
	for _, sc := range s.Scopes {
		if !knownScope(sc) {
			return fmt.Errorf("unknown scope %q (known: %s)", sc, strings.Join(ScopeNames(), ", "))
		}
	}
	return nil
}

// validStore reports whether s is a lower-case DNS label: 1 to 63 letters,
// digits and inner hyphens.
func validStore(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// DemoTokens generates three random tokens: one with every scope and one
// read-only for DemoStore, and one with every scope for DemoOtherStore, so
// that tenant isolation can be tried.
func DemoTokens() []TokenSpec {
	return []TokenSpec{
		{Token: NewToken(), Store: DemoStore, Scopes: ScopeNames()},
		{Token: NewToken(), Store: DemoStore, Scopes: ReadOnlyScopes()},
		{Token: NewToken(), Store: DemoOtherStore, Scopes: ScopeNames()},
	}
}

// NewToken returns a fresh token: TokenPrefix and 32 random bytes in
// base64url.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// newID returns a random non-secret identifier with prefix.
func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + fmt.Sprintf("%x", b)
}

// storesOf returns the stores named by specs, sorted and without
// duplicates.
func storesOf(specs []TokenSpec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Store)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
