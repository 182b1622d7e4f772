package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/golang-jwt/jwt/v5"
)

var tokenMintCmd = &command{
	name: "token mint",
	args: `-key FILE [-alg A] [-kid K] [-iss I] [-aud A] [-sub S] [-scope "a b"] [-ttl 1h] [-typ at+jwt] [-jti J] [-claim k=v …]`,
	about: `Signs a JWT for development and tests, and prints it on stdout; stderr says it
is one. Production tokens come from an issuer (package issuer,
tokenendpoint, or an OpenID provider).

The token carries iat and nbf (now), exp (now + -ttl; a negative -ttl makes
an expired token), a random jti, and iss, aud, sub and scope when given.
-claim k=v (repeatable) sets any claim, v read as JSON when it is JSON
(numbers, true, arrays, objects, "quoted strings") and as a string
otherwise; -claim k alone removes claim k.

-key FILE is a private key: PEM (PKCS #8, SEC 1 or PKCS #1), a private JWK
as jwk generate writes it, or a raw HMAC secret (the file's bytes, less one
trailing newline when the file is text). -alg may be left out for ECDSA and
Ed25519 keys and for a JWK that names its alg. The kid defaults to the
JWK's kid, else to the key's RFC 7638 thumbprint (none for an HMAC secret).`,
	run: tokenMint,
}

func tokenMint(_ context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	keyFile := fs.String("key", "", "private key `FILE`: PEM, JWK, or raw HMAC secret (required)")
	alg := fs.String("alg", "", "JWS `algorithm` ("+algNames()+")")
	kid := fs.String("kid", "", "the kid header (default: the JWK's kid, else the key's thumbprint)")
	iss := fs.String("iss", "", "the iss claim (`issuer`)")
	var aud listFlag
	fs.Var(&aud, "aud", "the aud claim (`audience`; repeatable, or space-separated)")
	sub := fs.String("sub", "", "the sub claim (`subject`)")
	scope := fs.String("scope", "", "the scope claim: space-separated `scopes`")
	ttl := fs.String("ttl", "1h", "`lifetime`: exp = now + ttl (negative for an expired token)")
	typ := fs.String("typ", "at+jwt", `the typ header ("" for none)`)
	jti := fs.String("jti", "", "the jti claim (default: random)")
	var claims listFlag
	fs.Var(&claims, "claim", "set claim `k=v` (v as JSON if it is JSON, else a string), or remove claim k (repeatable)")
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *keyFile == "" {
		return usageErrorf("-key FILE is required")
	}
	life, err := parseDuration(*ttl)
	if err != nil {
		return usageErrorf("-ttl: %v", err)
	}
	sk, err := loadSigningKey(*keyFile, *alg, *kid)
	if err != nil {
		return err
	}
	now := e.now()
	m := map[string]any{
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(life).Unix(),
	}
	if *iss != "" {
		m["iss"] = *iss
	}
	switch auds := words(aud...); len(auds) {
	case 0:
	case 1:
		m["aud"] = auds[0]
	default:
		m["aud"] = auds
	}
	if *sub != "" {
		m["sub"] = *sub
	}
	if *scope != "" {
		scopes := words(*scope)
		for _, s := range scopes {
			if !gatehouse.ValidScope(s) {
				return fmt.Errorf("invalid scope %s: %w", quoteArg(s), gatehouse.ErrMalformedScope)
			}
		}
		m["scope"] = strings.Join(scopes, " ")
	}
	if *jti != "" {
		m["jti"] = *jti
	} else {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		m["jti"] = base64.RawURLEncoding.EncodeToString(b[:])
	}
	for _, kv := range claims {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" {
			return usageErrorf("-claim %s: want k=v or k", quoteArg(kv))
		}
		if !ok {
			delete(m, k)
			continue
		}
		var parsed any
		if json.Unmarshal([]byte(v), &parsed) == nil {
			m[k] = parsed
		} else {
			m[k] = v
		}
	}
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(sk.alg), jwt.MapClaims(m))
	if *typ == "" {
		delete(tok.Header, "typ")
	} else {
		tok.Header["typ"] = *typ
	}
	if sk.kid != "" {
		tok.Header["kid"] = sk.kid
	}
	signed, err := tok.SignedString(sk.key)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	fmt.Fprintf(e.stderr, "gatehouse: %s: a token for development and tests (%s, kid %q, expires %s); production tokens come from an issuer\n",
		c.name, sk.alg, sk.kid, ago(now.Add(life), now))
	fmt.Fprintln(e.stdout, signed)
	return nil
}

// decoded is a JWS's header and claims, decoded without verification.
type decoded struct {
	header, claims json.RawMessage // the JSON as the token carries it
	hdr, cl        map[string]any
}

// decodeJWS decodes a compact JWS's header and payload without verifying
// anything; the error says what is malformed, never quoting the token.
func decodeJWS(tok string) (decoded, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return decoded{}, fmt.Errorf("not a JWT: %d dot-separated parts, not 3", len(parts))
	}
	var d decoded
	for i, dst := range []*json.RawMessage{&d.header, &d.claims} {
		name := [...]string{"header", "payload"}[i]
		raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[i])
		if err != nil {
			return decoded{}, fmt.Errorf("not a JWT: the %s is not base64url", name)
		}
		// The decoder alone would stop at the first value and accept
		// trailing text such as "{}]"; json.Valid sees the whole part.
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if !json.Valid(raw) || dec.Decode(&m) != nil || m == nil {
			return decoded{}, fmt.Errorf("not a JWT: the %s is not a JSON object", name)
		}
		*dst = raw
		if i == 0 {
			d.hdr = m
		} else {
			d.cl = m
		}
	}
	return d, nil
}

// str returns the string member name of m.
func str(m map[string]any, name string) (string, bool) {
	s, ok := m[name].(string)
	return s, ok
}

// numericDate returns the NumericDate member name of m.
func numericDate(m map[string]any, name string) (time.Time, bool) {
	n, ok := m[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// audiences returns the aud claim as a list.
func audiences(m map[string]any) []string {
	switch v := m["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// readToken returns the token argument, or the token on stdin for "-".
func readToken(e *env, arg string) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	b, err := readLimited(e.stdin, 1<<20, "the token on stdin")
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", errors.New("no token on stdin")
	}
	return tok, nil
}
