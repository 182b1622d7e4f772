package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
)

// options are the command-line settings.
type options struct {
	addr     string
	resource string // "" until run defaults it to http://<listen address>
	algs     []string
	issuers  []bearer.Issuer
	dpop     bearer.DPoPMode
	demo     bool // a stand-in provider on the same listener, for a local try
	// metricsAddr is the operations listener's address (/metrics,
	// /healthz, /readyz), "" for none.
	metricsAddr string
}

const usage = `Usage: resourceserver -issuer URL -audience AUD [per-issuer flags] [-issuer URL -audience AUD ...]
                      [-algs RS256,ES256] [-resource URL] [-addr host:port] [-metrics-addr host:port]
       resourceserver -demo [-addr host:port] [-metrics-addr host:port]

An API protected by the access tokens of one or more OpenID providers. Each
issuer's JWK Set is found by discovery (<issuer>/.well-known/openid-configuration,
else RFC 8414's /.well-known/oauth-authorization-server) unless -jwks-url names it.

Issuers (repeat -issuer for several; every per-issuer flag applies to the
-issuer before it, and one before any -issuer is an error):
  -issuer URL         an accepted token issuer, exactly as its tokens' "iss" spell it
                      (trailing slash included when the provider writes one)
  -audience AUD       an accepted "aud" of that issuer's tokens: this API's identifier
                      there; required, repeat to accept several
  -jwks-url URL       that issuer's JWK Set, skipping discovery (at most once)
  -typ TYPE           the "typ" header its access tokens must carry, e.g. at+jwt
                      (at most once; default: not checked)
  -scope-claim NAME   the one claim read for the token's scopes, e.g. scp, roles or
                      permissions (at most once; default: the first of scope, scp, scopes)

Global:
  -algs LIST          comma-separated signature algorithms accepted from every issuer
                      (default "RS256,ES256")
  -resource URL       this API's resource identifier (RFC 9728), the "resource" of
                      its metadata document; https, or http for a loopback host
                      (default: http://<listen address>, "localhost" for an
                      unspecified host)
  -dpop MODE          DPoP sender-constrained tokens (RFC 9449): allowed (DPoP-bound
                      tokens with a proof, and bearer tokens), required (DPoP only)
                      or off (default "allowed"); a token bound to a key is never
                      accepted as a bearer token
  -addr host:port     listen address (default "127.0.0.1:8080")
` + serve.MetricsUsage + `                  /readyz there is 200 once every issuer has keys, as the API's
  -demo               also serve a stand-in OpenID provider under /demo on the same
                      loopback listener (issuer http://<addr>/demo, audience demo-api,
                      an ES256 key made at start) and print test tokens it signed, to
                      try the API without a provider; never for anything but a local try

Routes:
  GET /api/v1/whoami                        any valid access token: the caller's Principal
  GET /api/v1/products                      a token with scope products:read
  GET /readyz                               200 once every issuer has keys, else 503
  GET /.well-known/oauth-protected-resource this API's metadata (RFC 9728)
`

// Errors of the per-issuer flags, reported by the flag package as
// `invalid value "…" for flag -audience: <error>`.
var (
	errNoIssuer = errors.New("it must follow the -issuer it applies to")
	errEmpty    = errors.New("empty value")
	errTwice    = errors.New("given twice for the same -issuer")
)

// issuerList collects the -issuer flags and the per-issuer flags that
// follow each of them.
type issuerList struct{ list []bearer.Issuer }

// last returns the issuer the next per-issuer flag applies to.
func (l *issuerList) last() (*bearer.Issuer, error) {
	if len(l.list) == 0 {
		return nil, errNoIssuer
	}
	return &l.list[len(l.list)-1], nil
}

// issuerFlag is -issuer: each occurrence starts a new issuer.
type issuerFlag struct{ l *issuerList }

func (f issuerFlag) String() string {
	if f.l == nil {
		return ""
	}
	var urls []string
	for _, is := range f.l.list {
		urls = append(urls, is.URL)
	}
	return strings.Join(urls, " ")
}

func (f issuerFlag) Set(v string) error {
	switch {
	case v == "":
		return errEmpty
	case slices.ContainsFunc(f.l.list, func(is bearer.Issuer) bool { return is.URL == v }):
		return errors.New("this issuer is already given")
	}
	f.l.list = append(f.l.list, bearer.Issuer{URL: v})
	return nil
}

// issuerField is a per-issuer flag: it sets one field of the last issuer.
type issuerField struct {
	l   *issuerList
	set func(is *bearer.Issuer, v string) error
}

func (f issuerField) String() string { return "" }

func (f issuerField) Set(v string) error {
	if v == "" {
		return errEmpty
	}
	is, err := f.l.last()
	if err != nil {
		return err
	}
	return f.set(is, v)
}

// once returns a setter of the string field that field selects, refusing
// a second value.
func once(field func(is *bearer.Issuer) *string) func(*bearer.Issuer, string) error {
	return func(is *bearer.Issuer, v string) error {
		p := field(is)
		if *p != "" {
			return errTwice
		}
		*p = v
		return nil
	}
}

// parseFlags parses the command line. Parse errors and -help's usage text
// go to stderr; -help returns flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := serve.NewFlagSet("resourceserver", usage, stderr)
	var o options
	var issuers issuerList
	fs.StringVar(&o.addr, "addr", serve.DefaultAddr, "listen address")
	fs.StringVar(&o.resource, "resource", "", "this API's resource identifier (RFC 9728)")
	algs := fs.String("algs", "RS256,ES256", "comma-separated signature algorithms")
	dpopMode := fs.String("dpop", "allowed", "DPoP: allowed, required or off")
	fs.BoolVar(&o.demo, "demo", false, "serve a stand-in provider and print test tokens")
	metricsAddr := serve.AddMetricsFlag(fs)
	fs.Var(issuerFlag{&issuers}, "issuer", "an accepted token issuer (repeatable)")
	fs.Var(issuerField{&issuers, func(is *bearer.Issuer, v string) error {
		if slices.Contains(is.Audiences, v) {
			return errTwice
		}
		is.Audiences = append(is.Audiences, v)
		return nil
	}}, "audience", "an accepted audience of the last -issuer (repeatable)")
	fs.Var(issuerField{&issuers, once(func(is *bearer.Issuer) *string { return &is.JWKSURL })},
		"jwks-url", "the JWK Set of the last -issuer")
	fs.Var(issuerField{&issuers, once(func(is *bearer.Issuer) *string { return &is.TokenType })},
		"typ", `the required "typ" of the last -issuer's tokens`)
	fs.Var(issuerField{&issuers, once(func(is *bearer.Issuer) *string { return &is.ScopeClaim })},
		"scope-claim", "the scope claim of the last -issuer's tokens")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q (see -help)", fs.Arg(0))
	}
	for a := range strings.SplitSeq(*algs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.algs = append(o.algs, a)
		}
	}
	o.issuers = issuers.list
	o.metricsAddr = *metricsAddr
	var problems []error
	switch *dpopMode {
	case "allowed":
		o.dpop = bearer.DPoPAllowed
	case "required":
		o.dpop = bearer.DPoPRequired
	case "off":
		o.dpop = bearer.DPoPOff
	default:
		problems = append(problems, fmt.Errorf("-dpop %q: use allowed, required or off", *dpopMode))
	}
	switch {
	case len(o.issuers) == 0 && !o.demo:
		problems = append(problems, errors.New("at least one -issuer (or -demo) is required (see -help)"))
	case len(o.issuers) > 0 && o.demo:
		// The demo provider's tokens would be accepted beside a real
		// issuer's, by a server a proxy may expose.
		problems = append(problems, errors.New("-demo serves its own provider: give it alone, without -issuer"))
	}
	if len(o.algs) == 0 {
		problems = append(problems, errors.New("-algs names no algorithm"))
	}
	for _, is := range o.issuers {
		if len(is.Audiences) == 0 {
			problems = append(problems, fmt.Errorf("-issuer %s has no -audience: give this API's identifier at that provider after it", is.URL))
		}
	}
	if len(problems) > 0 {
		return options{}, errors.Join(problems...)
	}
	return o, nil
}
