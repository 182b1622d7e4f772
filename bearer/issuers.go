package bearer

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"
)

// An issuerState is one accepted issuer, or the keys of a Config without
// Issuers, ready to verify tokens.
type issuerState struct {
	url        string // the "iss" required, when checkISS
	checkISS   bool
	algs       []string
	keys       map[string]*staticKey
	only       *staticKey // the single static key, used for tokens without kid
	remote     *keySet    // nil without a remote set
	jwksURL    string     // the configured set, started by startRemote
	discover   *url.URL   // the issuer, when its set is discovered
	typ        string
	tenant     string
	scopeClaim string
	tenantIdx  int // of tenant in the Authenticator's claim names
	scopeIdx   int // of scopeClaim, or -1 without one
	leeway     time.Duration
	auds       []string // accepted "aud" values; none: "aud" is not checked
}

// buildIssuers checks cfg's issuers (or its issuer-less keys) and returns
// them; nothing is fetched yet. The problems are all those found.
func buildIssuers(cfg Config) (list []*issuerState, problems []error) {
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if len(cfg.Issuers) > 0 && (len(cfg.Keys) > 0 || cfg.JWKSURL != "") {
		bad("Keys and JWKSURL are for tokens whose issuer is not checked: with Issuers, give each Issuer its Keys or JWKSURL")
	}
	specs := cfg.Issuers
	if len(specs) == 0 {
		if len(cfg.Keys) == 0 && cfg.JWKSURL == "" {
			if len(cfg.Algorithms) > 0 {
				bad("the Algorithms are set without Issuers, Keys or JWKSURL")
			}
			return nil, problems
		}
		specs = []Issuer{{Keys: cfg.Keys, JWKSURL: cfg.JWKSURL}}
	}
	seen := make(map[string]bool, len(specs))
	for i, spec := range specs {
		named := len(cfg.Issuers) > 0
		where := "Config"
		if named {
			where = fmt.Sprintf("issuer %d (%q)", i, spec.URL)
			switch {
			case spec.URL == "":
				bad("empty issuer: issuer %d has no URL", i)
			case seen[spec.URL]:
				bad("duplicate issuer %q", spec.URL)
			}
			seen[spec.URL] = true
		}
		is, errs := buildIssuer(cfg, spec, named)
		for _, err := range errs {
			problems = append(problems, fmt.Errorf("%s: %w", where, err))
		}
		if len(errs) == 0 {
			list = append(list, is)
		}
	}
	return list, problems
}

// buildIssuer checks one issuer and binds its static keys.
func buildIssuer(cfg Config, spec Issuer, named bool) (*issuerState, []error) {
	var problems []error
	is := &issuerState{
		url:        spec.URL,
		checkISS:   named,
		typ:        cmp.Or(spec.TokenType, cfg.TokenType),
		tenant:     cmp.Or(spec.TenantClaim, cfg.TenantClaim, "tenant"),
		scopeClaim: spec.ScopeClaim,
	}
	algs := spec.Algorithms
	if len(algs) == 0 {
		algs = cfg.Algorithms
	}
	if len(algs) == 0 {
		problems = append(problems, errors.New("an explicit Algorithms allowlist is required"))
	}
	for _, alg := range algs {
		if err := checkAlgorithm(alg); err != nil {
			problems = append(problems, unprefixed{err})
		} else if !slices.Contains(is.algs, alg) {
			is.algs = append(is.algs, alg)
		}
	}
	auds := spec.Audiences
	if len(auds) == 0 {
		auds = cfg.Audiences
	}
	if slices.Contains(auds, "") {
		problems = append(problems, errors.New("empty audience"))
	}

	switch {
	case spec.JWKSURL != "":
		if _, err := parseFetchURL("JWKS URL", spec.JWKSURL, cfg.Fetch.AllowHTTP); err != nil {
			problems = append(problems, err)
		}
		is.jwksURL = spec.JWKSURL
	case named && len(spec.Keys) == 0:
		u, err := checkIssuerURL(spec.URL, cfg.Fetch.AllowHTTP)
		if err != nil {
			problems = append(problems, fmt.Errorf("no Keys or JWKSURL, and discovery needs a URL: %w", err))
		}
		is.discover = u
	}
	remote := is.jwksURL != "" || is.discover != nil

	is.keys = make(map[string]*staticKey, len(spec.Keys))
	for i, k := range spec.Keys {
		if !slices.Contains(is.algs, k.Algorithm) {
			problems = append(problems, fmt.Errorf("key %d (%q) uses %q, which is not in Algorithms", i, k.ID, k.Algorithm))
			continue
		}
		bound, err := bindKey(k.Algorithm, k.Key)
		if err != nil {
			problems = append(problems, fmt.Errorf("key %d (%q): %w", i, k.ID, unprefixed{err}))
			continue
		}
		if k.ID == "" && (len(spec.Keys) > 1 || remote) {
			problems = append(problems, fmt.Errorf("key %d has no ID; with several keys every key needs one", i))
			continue
		}
		if _, dup := is.keys[k.ID]; dup {
			problems = append(problems, fmt.Errorf("duplicate key ID %q", k.ID))
			continue
		}
		is.keys[k.ID] = newStaticKey(Key{ID: k.ID, Algorithm: k.Algorithm, Key: bound})
	}
	if len(spec.Keys) == 1 && !remote {
		is.only = is.keys[spec.Keys[0].ID]
	}
	if len(problems) > 0 {
		return nil, problems
	}
	// The checks of golang-jwt's Validator with WithExpirationRequired,
	// WithIssuedAt, WithLeeway and WithAudience (see checkTimes).
	is.leeway, is.auds = cfg.Leeway, slices.Clone(auds)
	return is, nil
}

// startRemote begins fetching the remote sets of the issuers that have
// one, through one HTTP client.
func startRemote(issuers []*issuerState, f Fetch, log *slog.Logger) {
	var fetch *fetcher
	for _, is := range issuers {
		if is.jwksURL == "" && is.discover == nil {
			continue
		}
		if fetch == nil {
			fetch = newFetcher(f)
		}
		is.remote = newKeySet(is.url, is.discover, is.jwksURL, is.algs, f, fetch, log)
	}
}
