package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/redisstore"
)

var tokenInspectCmd = &command{
	name: "token inspect",
	args: "[-key FILE | -jwks URL | -issuer URL] [-iss ISS] [-aud A] [-alg A] [-typ T] [-json] TOKEN|-",
	about: `Decodes a JWT and prints its header and claims; the token is read from stdin
with "-", and is never printed or logged.

With a key source, it also gives the verdict of the bearer middleware: it
builds a bearer.Authenticator with that key source and the other flags as
its Config, and calls its Check on a request carrying the token, so the
checks and the reason names are the middleware's own (bearer.Refusals):

  accepted: subject "user-42", scopes [orders:read], expires in 59m0s
  refused: token expired 3m12s ago (reason token_expired)

It exits 0 when the token is accepted and 1 when it is refused (the
refusal is the one line on stderr). Key sources:

  -key FILE    a PEM public or private key, a JWK, a JWK Set, or a raw HMAC
               secret (bearer Config.Keys; with -iss, that issuer's Keys)
  -jwks URL    a JWK Set (Config.JWKSURL; with -iss, that issuer's JWKSURL)
  -issuer URL  an issuer whose JWK Set is found by OpenID Connect or RFC 8414
               discovery (Config.Issuers); its tokens must carry iss URL

URLs must be https, or http to a loopback host, as the middleware requires.
-timeout bounds the wait for a remote key set. With -redis, the token's
revocations are read from redisstore's revocation store, as a server using
it does (which then also requires a jti).`,
	run: tokenInspect,
}

// asymmetricAlgs is the default algorithm allowlist of -jwks and -issuer.
var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// verdictJSON is the -json form of the middleware's decision.
type verdictJSON struct {
	Accepted  bool           `json:"accepted"`
	Reason    string         `json:"reason,omitempty"`
	Status    int            `json:"status,omitempty"`
	Message   string         `json:"message,omitempty"`
	Detail    string         `json:"detail,omitempty"`
	Principal *principalJSON `json:"principal,omitempty"`
}

type principalJSON struct {
	Subject   string   `json:"subject"`
	Tenant    string   `json:"tenant,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Scopes    []string `json:"scopes"`
	TokenID   string   `json:"token_id,omitempty"`
	SessionID string   `json:"session_id,omitempty"`
	ExpiresAt *string  `json:"expires_at"`
}

// inspectOptions are token inspect's flags that configure the
// Authenticator.
type inspectOptions struct {
	keyFile, jwksURL, issuerURL, iss, kid, typ string
	auds, algs                                 []string
	leeway, timeout                            time.Duration
	redis                                      *redisFlags
}

func tokenInspect(ctx context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	var o inspectOptions
	var aud, alg listFlag
	fs.StringVar(&o.keyFile, "key", "", "verify with the key(s) in `FILE`")
	fs.StringVar(&o.jwksURL, "jwks", "", "verify with the JWK Set at `URL`")
	fs.StringVar(&o.issuerURL, "issuer", "", "verify as a token of the issuer `URL`, its keys found by discovery")
	fs.StringVar(&o.iss, "iss", "", "the accepted `issuer` (iss), with -key or -jwks")
	fs.Var(&aud, "aud", "an accepted `audience` (repeatable, or space-separated; default: aud not checked)")
	fs.Var(&alg, "alg", "accepted `algorithms` (with -key: the key's, inferred for EC, Ed25519 and JWK keys; with -jwks and -issuer default: every asymmetric one)")
	fs.StringVar(&o.kid, "kid", "", "the `kid` of the -key key (default: the JWK's; none: the key matches any kid)")
	fs.StringVar(&o.typ, "typ", "", `the required typ header, such as "at+jwt" (default: not checked)`)
	fs.DurationVar(&o.leeway, "leeway", 0, "clock-skew `allowance` for exp, nbf and iat (at most 5m)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "bound of the wait for a remote key set")
	jsonOut := fs.Bool("json", false, "print the header, claims and verdict as JSON")
	o.redis = addRedisFlags(fs)
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErrorf("the token is required (TOKEN, or - to read it from stdin)")
	case len(pos) > 1:
		return usageErrorf("one token only (%d arguments given)", len(pos))
	case o.timeout <= 0:
		return usageErrorf("-timeout must be positive")
	}
	sources := 0
	for _, s := range []string{o.keyFile, o.jwksURL, o.issuerURL} {
		if s != "" {
			sources++
		}
	}
	if sources > 1 {
		return usageErrorf("give one key source: -key, -jwks or -issuer")
	}
	if err := o.redis.check(false); err != nil {
		return err
	}
	if sources == 0 && o.redis.given() {
		return usageErrorf("-redis needs a key source (-key, -jwks or -issuer)")
	}
	o.auds, o.algs = words(aud...), words(alg...)
	if err := o.refuseSecrets(); err != nil {
		return err
	}
	if o.issuerURL != "" && o.iss != "" && o.iss != o.issuerURL {
		return usageErrorf("-iss %s differs from -issuer %s", quoteArg(o.iss), quoteArg(o.issuerURL))
	}
	tok, err := readToken(e, pos[0])
	if err != nil {
		return err
	}
	d, decodeErr := decodeJWS(tok)
	if decodeErr != nil && sources == 0 {
		return fmt.Errorf("malformed token: %w", decodeErr)
	}

	var v *verdictJSON
	if sources > 0 {
		if v, err = o.verdict(ctx, e, tok, d); err != nil {
			return err
		}
	}
	if *jsonOut {
		out := struct {
			Header  json.RawMessage `json:"header,omitempty"`
			Claims  json.RawMessage `json:"claims,omitempty"`
			Error   string          `json:"error,omitempty"`
			Verdict *verdictJSON    `json:"verdict,omitempty"`
		}{Header: d.header, Claims: d.claims, Verdict: v}
		if decodeErr != nil {
			out.Error = decodeErr.Error()
		}
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	} else {
		printDecoded(e.stdout, d, decodeErr, e.now())
		if v != nil && v.Accepted {
			fmt.Fprintln(e.stdout, acceptedLine(v.Principal, e.now()))
		}
	}
	if v != nil && !v.Accepted {
		return fmt.Errorf("refused: %s (reason %s)", v.Detail, v.Reason)
	}
	return nil
}

// inspectSecretAdvice is what to do about a token typed as the value of one
// of token inspect's flags.
const inspectSecretAdvice = "if it is a live token, revoke it by its jti with 'gatehouse revoke jti -token -', which reads it from stdin; give the token to inspect as TOKEN, or on stdin with -"

// refuseSecrets refuses the flags that configure the Authenticator when a
// value looks like a token or key (refuseSecret), and an -alg that is not
// one of the algorithms bearer verifies (lookupAlg). bearer.New's
// configuration errors quote the URLs, algorithms and key IDs of the
// configuration, so the values they can quote are only those that quoteArg
// shows.
func (o *inspectOptions) refuseSecrets() error {
	for _, f := range []struct {
		name, want string
		values     []string
	}{
		{"-jwks", "the JWK Set's URL", []string{o.jwksURL}},
		{"-issuer", "the issuer's URL", []string{o.issuerURL}},
		{"-iss", "the issuer's identifier (iss claim)", []string{o.iss}},
		{"-kid", "the key's kid", []string{o.kid}},
		{"-typ", "the required typ header", []string{o.typ}},
		{"-aud", "the accepted audiences", o.auds},
	} {
		for _, v := range f.values {
			if err := refuseSecret(f.name, v, f.want, inspectSecretAdvice); err != nil {
				return err
			}
		}
	}
	for _, a := range o.algs {
		if _, err := lookupAlg(a); err != nil {
			return err
		}
	}
	return nil
}

// verdict builds the Authenticator o describes and returns its decision
// on a request carrying tok.
func (o *inspectOptions) verdict(ctx context.Context, e *env, tok string, d decoded) (*verdictJSON, error) {
	cfg := bearer.Config{
		Audiences: o.auds,
		TokenType: o.typ,
		Leeway:    o.leeway,
		CacheSize: new(0),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)), // failures are reported below, once
		Fetch:     bearer.Fetch{Timeout: o.timeout},
		Now:       e.now,
	}
	switch {
	case o.keyFile != "":
		if len(o.algs) > 1 {
			return nil, usageErrorf("-alg: one algorithm with -key, the key's")
		}
		keys, err := loadVerifyKeys(o.keyFile, first(o.algs), o.kid)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if !slices.Contains(cfg.Algorithms, k.Algorithm) {
				cfg.Algorithms = append(cfg.Algorithms, k.Algorithm)
			}
		}
		if o.iss != "" {
			cfg.Issuers = []bearer.Issuer{{URL: o.iss, Keys: keys}}
		} else {
			cfg.Keys = keys
		}
	case o.jwksURL != "":
		if o.iss != "" {
			cfg.Issuers = []bearer.Issuer{{URL: o.iss, JWKSURL: o.jwksURL}}
		} else {
			cfg.JWKSURL = o.jwksURL
		}
	default:
		cfg.Issuers = []bearer.Issuer{{URL: o.issuerURL}}
	}
	if o.keyFile == "" {
		cfg.Algorithms = o.algs
		if len(cfg.Algorithms) == 0 {
			cfg.Algorithms = asymmetricAlgs
		}
		cfg.WaitReady = o.timeout
	}
	if o.redis.given() {
		store, err := o.redis.open()
		if err != nil {
			return nil, err
		}
		defer store.Close()
		cfg.Revocations = store.Revocations()
	}
	auth, err := bearer.New(cfg)
	if errors.Is(err, bearer.ErrUnavailable) {
		// bearer's error names the key set by its URL without password
		// or query.
		return nil, fmt.Errorf("no usable signing key within %s: %w", o.timeout, err)
	} else if err != nil {
		return nil, err
	}
	defer auth.Close()

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://gatehouse.invalid/", nil)
	if err != nil {
		return nil, err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	p, err := auth.Check(r)
	if err == nil {
		return &verdictJSON{Accepted: true, Principal: &principalJSON{
			Subject: p.Subject, Tenant: p.Tenant, ClientID: p.ClientID, Scopes: nonNil(p.Scopes),
			TokenID: p.TokenID, SessionID: p.SessionID, ExpiresAt: timeJSON(p.ExpiresAt),
		}}, nil
	}
	v := &verdictJSON{Reason: "unknown", Detail: oneLine(err.Error())}
	for _, row := range bearer.Refusals() {
		if errors.Is(err, row.Err) {
			v.Reason, v.Status, v.Message = string(row.Reason), row.Status, row.Message
			v.Detail = o.detail(row, d, e.now(), err)
			break
		}
	}
	return v, nil
}

// detail says why the token was refused, from the refusal row and what
// the token says: the middleware's reasons are fixed strings, and an
// operator wants to know by how much a token expired or which audience it
// named.
func (o *inspectOptions) detail(row gatehouse.Refusal, d decoded, now time.Time, err error) string {
	c, h := d.cl, d.hdr
	switch row.Reason {
	case bearer.ReasonTokenExpired:
		if exp, ok := numericDate(c, "exp"); ok {
			return fmt.Sprintf("token expired %s (exp %s)", ago(exp, now), timeText(exp))
		}
	case bearer.ReasonTokenNotYetValid:
		if nbf, ok := numericDate(c, "nbf"); ok && nbf.After(now) {
			return fmt.Sprintf("token not valid until %s, %s (nbf)", timeText(nbf), ago(nbf, now))
		}
		if iat, ok := numericDate(c, "iat"); ok && iat.After(now) {
			return fmt.Sprintf("token issued in the future: %s, %s (iat)", timeText(iat), ago(iat, now))
		}
	case bearer.ReasonAudienceNotAccepted:
		return fmt.Sprintf("token audience %q is none of %s", audiences(c), quoteArgs(o.auds))
	case bearer.ReasonIssuerNotAccepted:
		iss, _ := str(c, "iss")
		want := o.iss
		if want == "" {
			want = o.issuerURL
		}
		return fmt.Sprintf("token issuer %q is not %s", iss, quoteArg(want))
	case bearer.ReasonUnknownSigningKey:
		kid, _ := str(h, "kid")
		alg, _ := str(h, "alg")
		return fmt.Sprintf("no key for kid %q and alg %q", kid, alg)
	case bearer.ReasonTokenTypeNotAccepted:
		typ, _ := str(h, "typ")
		return fmt.Sprintf("token typ %q is not %s", typ, quoteArg(o.typ))
	case bearer.ReasonInvalidToken:
		if d.hdr == nil {
			return "not a JWS (malformed token)"
		}
		alg, _ := str(h, "alg")
		if !slices.Contains(asymmetricAlgs, alg) && !strings.HasPrefix(alg, "HS") {
			return fmt.Sprintf("invalid token: alg %q is not accepted", alg)
		}
		return "invalid token: not a valid JWS, or its signature does not verify"
	case bearer.ReasonInvalidClaims:
		switch {
		case c == nil:
		case c["exp"] == nil:
			return "invalid claims: the token has no exp"
		case len(o.auds) > 0 && c["aud"] == nil:
			return "invalid claims: the token has no aud, and -aud requires one"
		case o.redis.given() && c["jti"] == nil:
			return "invalid claims: the token has no jti, which a server with revocations requires"
		}
		return "invalid claims: a claim is missing or malformed"
	case bearer.ReasonTokenRevoked:
		return "token revoked (its jti, its session or its subject)"
	case gatehouse.ReasonStoreUnavailable:
		if errors.Is(err, redisstore.ErrStateLost) {
			return "the revocation store lost its state (no epoch record): " + reseedAdvice
		}
		return "verification unavailable: the key source or the revocation store failed"
	}
	return strings.TrimPrefix(row.Err.Error(), "bearer: ")
}

// acceptedLine is the text verdict of an accepted token.
func acceptedLine(p *principalJSON, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "accepted: subject %q, scopes %v", p.Subject, p.Scopes)
	if p.Tenant != "" {
		fmt.Fprintf(&b, ", tenant %q", p.Tenant)
	}
	if p.ClientID != "" {
		fmt.Fprintf(&b, ", client %q", p.ClientID)
	}
	if p.ExpiresAt != nil {
		exp, _ := time.Parse(time.RFC3339, *p.ExpiresAt)
		fmt.Fprintf(&b, ", expires %s", ago(exp, now))
	}
	return b.String()
}

// printDecoded writes the header and claims as indented JSON, and the
// token's times in words.
func printDecoded(w io.Writer, d decoded, decodeErr error, now time.Time) {
	if decodeErr != nil {
		fmt.Fprintf(w, "malformed token: %v\n", decodeErr)
		return
	}
	for _, part := range []struct {
		name string
		raw  json.RawMessage
	}{{"header", d.header}, {"claims", d.claims}} {
		var b bytes.Buffer
		if err := json.Indent(&b, part.raw, "", "  "); err != nil {
			b.Reset()
			b.Write(part.raw)
		}
		fmt.Fprintf(w, "%s:\n%s\n", part.name, b.Bytes())
	}
	for _, t := range []struct{ claim, label string }{{"iat", "issued"}, {"nbf", "valid from"}, {"exp", "expires"}} {
		if at, ok := numericDate(d.cl, t.claim); ok {
			fmt.Fprintf(w, "%-10s %s (%s)\n", t.label, timeText(at), ago(at, now))
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
