package bearer

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// A diffSetup is one configuration the fixed-slot path is compared in
// with the former map path (oldVerify) and with golang-jwt's
// ParseWithClaims (refVerifier, for a single issuer).
type diffSetup struct {
	name string
	a    *Authenticator
	ref  func(string) reason // nil with several issuers
}

// diffSetups builds configurations that between them read every claim
// the Authenticator reads: issuer, audience(s), typ, leeway, a tenant
// claim and a scope claim of their own (one overlapping a registered
// claim), required claims, a required jti, several issuers, no issuer.
// Every one accepts HS256 tokens of hs (kid "k1").
func diffSetups(t testing.TB, c *clock, hs, es signer) []diffSetup {
	t.Helper()
	var out []diffSetup
	add := func(name string, cfg Config) {
		cfg.CacheSize = new(0)
		a, err := New(cfg)
		require.NoError(t, err, name)
		s := diffSetup{name: name, a: a}
		if a.single != nil {
			s.ref = refVerifier(a, cfg)
		}
		out = append(out, s)
	}
	add("base", baseConfig(c, hs, es))

	rich := baseConfig(c, hs)
	rich.TokenType = "at+jwt"
	rich.TenantClaim = "org"
	rich.Issuers[0].ScopeClaim = "permissions"
	rich.RequiredClaims = []string{"sid", "tenant"}
	rich.Leeway = 30 * time.Second
	rich.Audiences = []string{"api://orders", "api://billing"}
	rich.Revocations = NewMemoryRevocations(c.Now) // every token needs a jti
	add("rich", rich)

	other := newSigner(t, "ES256", "o1")
	multi := baseConfig(c, hs)
	multi.Issuers = append(multi.Issuers, Issuer{URL: "https://other.test", Keys: []Key{other.key()}, Algorithms: []string{"ES256"}, TenantClaim: "sub"})
	multi.Algorithms = []string{"HS256"}
	add("multi", multi)

	add("no-issuer", Config{
		Keys:        []Key{hs.key()},
		Algorithms:  []string{"HS256"},
		TenantClaim: "sub", // one claim, two uses
		Now:         c.Now,
	})
	return out
}

// compareDecision checks tok in s with the fixed-slot path and the former
// map path: the same reason and, for an accepted token, the same
// Principal and claim set; and whatever is accepted is accepted by
// golang-jwt's ParseWithClaims too.
func compareDecision(t *testing.T, s diffSetup, tok string) {
	t.Helper()
	a := s.a
	old := a.oldVerify(tok)
	// The new side as check runs it: verifyJWT decides every token of
	// three segments, the b64token grammar included.
	var p *gatehouse.Principal
	var rs reason
	switch {
	case strings.Count(tok, ".") == 2:
		p, rs, _ = a.verifyJWT(t.Context(), tok)
	case !validToken(tok):
		rs = rMalformed
	default:
		rs = rInvalid
	}
	if rs != old.rs {
		t.Fatalf("%s: %q: reason %q, the former path %q", s.name, short(tok), refusals[rs].Reason, refusals[old.rs].Reason)
	}
	if rs != rOK {
		return
	}
	want := old.p
	got := *p
	gotClaims, _ := got.Claims.(Claims)
	wantClaims := old.c
	got.Claims, want.Claims = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: %q: Principal\n%+v\nthe former path\n%+v", s.name, short(tok), got, want)
	}
	var wm map[string]any
	if wantClaims != nil {
		wm = map[string]any(wantClaims)
	}
	if gm := gotClaims.Map(); !reflect.DeepEqual(gm, wm) {
		t.Fatalf("%s: %q: claims %v, the former path %v", s.name, short(tok), gm, wm)
	}
	if s.ref != nil {
		if r := s.ref(tok); r != rOK {
			t.Fatalf("%s: %q: accepted, golang-jwt's ParseWithClaims refuses (%s)", s.name, short(tok), refusals[r].Reason)
		}
	}
	// Through the middleware too: no panic, an answer of the envelope.
	if _, err := a.Check(bearerRequest(tok)); err != nil {
		if _, ok := err.(*envelope.Error); !ok {
			t.Fatalf("%s: %q: %v", s.name, short(tok), err)
		}
	}
}

func short(tok string) string {
	if len(tok) > 200 {
		return tok[:200] + "…"
	}
	return tok
}

// signSegments returns header "." payload "." and the HS256 MAC of s's
// key over them.
func signSegments(t testing.TB, s signer, header, payload string) string {
	t.Helper()
	sig, err := s.method.Sign(header+"."+payload, s.priv)
	require.NoError(t, err)
	return header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// claimsJSON is the JSON text of claimsAt(t0), members in a fixed order,
// with extra members appended verbatim.
func claimsJSON(extra ...string) string {
	now := t0.Unix()
	m := fmt.Sprintf(`{"iss":"https://issuer.test","aud":"api://orders","sub":"user-42","jti":"jti-1","sid":"sess-7",`+
		`"client_id":"cli-9","tenant":"acme","org":"globex","permissions":["orders:read"],"scope":"orders:read orders:write",`+
		`"iat":%d,"nbf":%d,"exp":%d`, now, now, now+3600)
	for _, e := range extra {
		m += "," + e
	}
	return m + "}"
}

// headerSeeds and claimSeeds are the JSON texts of the differential fuzz:
// the shapes where two JSON readers could disagree.
var headerSeeds = []string{
	`{"alg":"HS256","kid":"k1"}`,
	`{"alg":"HS256","kid":"k1","typ":"at+jwt"}`,
	` { "alg" : "HS256" , "kid" : "k1" , "typ" : "AT+JWT" } `,
	"\t{\n\"alg\":\"HS256\",\r\"kid\":\"k1\"}\n",
	`{"alg":"none","alg":"HS256","kid":"k1"}`,
	`{"alg":"HS256","alg":"none","kid":"k1"}`,
	`{"alg":"HS256","ALG":"none","Alg":"RS256","kid":"k1"}`,
	`{"alg":"HS\u0032\u00356","kid":"\u006b1"}`,
	`{"\u0061lg":"HS256","kid":"k1"}`,
	`{"alg":"HS256","kid":"k1","kid":null}`,
	`{"alg":"HS256","kid":7}`,
	`{"alg":"HS256","kid":["k1"]}`,
	`{"alg":"HS256","kid":"k1","crit":null}`,
	`{"alg":"HS256","kid":"k1","crit":["exp"],"exp":1}`,
	`{"alg":"HS256","kid":"k1","typ":null}`,
	`{"alg":"HS256","kid":"k1","typ":["at+jwt"]}`,
	`{"alg":"HS256","kid":"k1","x":1e400}`,
	`{"alg":"HS256","kid":"k1","x":123456789012345678901234567890}`,
	"{\"alg\":\"HS256\",\"kid\":\"k1\xff\"}",
	"{\"alg\":\"HS256\",\"kid\":\"k1\",\"x\":\"\xc3\"}",
	`{"alg":"HS256","kid":"k1","x":"\ud800"}`,
	`{"alg":"HS256","kid":"k1","x":` + strings.Repeat(`[`, 600) + strings.Repeat(`]`, 600) + `}`,
	`{"alg":"HS256","kid":"k1",}`,
	`{"alg":"HS256","kid":"k1"}x`,
	`null`, `[]`, `"HS256"`, ``, `{}`,
	`{"alg":"HS256","kid":"k1","jku":"http://127.0.0.1:1/","jwk":{"kty":"oct"}}`,
}

var claimSeeds = func() []string {
	now := t0.Unix()
	exp := now + 3600
	n := func(f string, args ...any) string { return fmt.Sprintf(f, args...) }
	return []string{
		claimsJSON(),
		`null`, `{}`, `[]`, `"x"`, `1`, ``, ` `, `{`, `{"exp":` + strconv.FormatInt(exp, 10) + `}`,
		// Duplicate members and case variants: the last one counts, names are exact.
		claimsJSON(`"sub":"admin"`),
		claimsJSON(`"sub":42`),
		claimsJSON(`"SUB":"admin"`, `"Sub":"root"`),
		claimsJSON(`"exp":1`),
		claimsJSON(n(`"exp":%d`, exp), `"exp":"soon"`),
		claimsJSON(`"iss":"https://evil.test"`),
		claimsJSON(`"ISS":"https://evil.test"`),
		claimsJSON(`"s\u0075b":"escaped"`),
		claimsJSON(`"aud":"api://billing"`, `"aud":"api://orders"`),
		claimsJSON(`"scope":"admin"`, `"scp":"root"`),
		claimsJSON(`"scope":null`),
		claimsJSON(`"scope":"a a b  c\tadmin"`),
		claimsJSON(`"scope":["a","b a",1,"c"]`),
		claimsJSON(`"scope":{"a":1}`),
		// Scope lists past the entry's room, past 32 (a set finds the
		// duplicates) and past the 64 made room for, with duplicates.
		claimsJSON(`"scope":"a b c d a e"`),
		claimsJSON(`"scope":["a","b","c","d","d","e",2]`),
		claimsJSON(n(`"scope":%q`, manyScopes(50, " "))),
		claimsJSON(n(`"scope":[%s]`, manyScopes(50, ","))),
		claimsJSON(n(`"scope":%q`, manyScopes(100, " "))),
		claimsJSON(n(`"scope":[%s]`, manyScopes(100, ","))),
		claimsJSON(`"permissions":"x y"`),
		claimsJSON(`"permissions":null`),
		claimsJSON(`"tenant":null`),
		claimsJSON(`"tenant":7`),
		claimsJSON(`"org":["x"]`),
		claimsJSON(`"sid":null`),
		claimsJSON(`"jti":""`),
		// Dates of every type and range.
		claimsJSON(`"exp":null`),
		claimsJSON(`"exp":"4102444800"`),
		claimsJSON(`"exp":true`),
		claimsJSON(`"exp":[4102444800]`),
		claimsJSON(`"exp":0`),
		claimsJSON(`"exp":-0`),
		claimsJSON(`"exp":-1`),
		claimsJSON(n(`"exp":%d.5`, exp)),
		claimsJSON(n(`"exp":%d.999999999999`, now)),
		claimsJSON(n(`"exp":%d`, now)),
		claimsJSON(n(`"exp":%d`, now+1)),
		claimsJSON(n(`"exp":%d`, now-29)),
		claimsJSON(n(`"exp":%de0`, exp)),
		claimsJSON(n(`"exp":%d.0E+0`, exp)),
		claimsJSON(`"exp":1e18`), claimsJSON(`"exp":4.7e18`), claimsJSON(`"exp":1e19`), claimsJSON(`"exp":1e300`),
		claimsJSON(`"exp":1e400`), claimsJSON(`"exp":-1e400`), claimsJSON(`"exp":1e-400`),
		claimsJSON(`"exp":` + strings.Repeat("9", 400)),
		claimsJSON(`"x":1e309`),
		claimsJSON(`"nbf":null`), claimsJSON(`"nbf":"x"`), claimsJSON(`"nbf":0`), claimsJSON(n(`"nbf":%d`, now+1)),
		claimsJSON(n(`"nbf":%d`, now+30)), claimsJSON(n(`"nbf":%d`, now+31)), claimsJSON(n(`"nbf":%d.5`, now)),
		claimsJSON(`"iat":null`), claimsJSON(`"iat":-5`), claimsJSON(n(`"iat":%d`, now+60)), claimsJSON(`"iat":1e300`),
		// Audiences.
		claimsJSON(`"aud":["api://orders"]`),
		claimsJSON(`"aud":["api://billing","api://orders"]`),
		claimsJSON(`"aud":["api://orders",1]`),
		claimsJSON(`"aud":[["api://orders"]]`),
		claimsJSON(`"aud":[]`),
		claimsJSON(`"aud":[""]`),
		claimsJSON(`"aud":["",""]`),
		claimsJSON(`"aud":""`),
		claimsJSON(`"aud":null`),
		claimsJSON(`"aud":{"api://orders":true}`),
		claimsJSON(`"aud":7`),
		claimsJSON(`"aud":"api://ORDERS"`),
		claimsJSON(`"aud":"api:\/\/orders"`),
		// Confirmation.
		claimsJSON(`"cnf":{"jkt":"abc"}`),
		claimsJSON(`"cnf":{"jkt":"abc","jkt":""}`),
		claimsJSON(`"cnf":{"jkt":""}`),
		claimsJSON(`"cnf":{"x5t#S256":"abc","jkt":null}`),
		claimsJSON(`"cnf":{"JKT":"abc"}`),
		claimsJSON(`"cnf":{}`),
		claimsJSON(`"cnf":null`),
		claimsJSON(`"cnf":"abc"`),
		claimsJSON(`"cnf":{"j\u006bt":"abc"}`),
		// Strings: escapes, invalid UTF-8, surrogates, control characters.
		claimsJSON(`"sub":"us\u0065r-42\n"`),
		claimsJSON("\"sub\":\"user\xff42\""),
		claimsJSON("\"sub\":\"\xed\xa0\x80\""),
		claimsJSON(`"sub":"\ud83d\ude00"`),
		claimsJSON(`"sub":"\ude00\ud83d"`),
		claimsJSON("\"sub\":\"a\x01\""),
		claimsJSON(`"sub":"\q"`),
		claimsJSON("\"\xff\":1"),
		claimsJSON(`"iss":"https://issuer.test\u0000"`),
		// Whitespace and syntax.
		"\n\t " + claimsJSON() + " \r\n",
		strings.ReplaceAll(claimsJSON(), ":", " : "),
		strings.ReplaceAll(claimsJSON(), ",", " ,\n"),
		claimsJSON() + "x",
		claimsJSON() + "{}",
		strings.TrimSuffix(claimsJSON(), "}") + ",}",
		strings.Replace(claimsJSON(), `"sub":"user-42"`, `"sub":'user-42'`, 1),
		// Nesting.
		claimsJSON(`"x":` + strings.Repeat(`{"a":`, 400) + `1` + strings.Repeat(`}`, 400)),
		claimsJSON(`"x":` + strings.Repeat(`[`, 9998) + strings.Repeat(`]`, 9998)),
		claimsJSON(`"x":` + strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 9999)),
		claimsJSON(`"x":` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000)),
		claimsJSON(`"x":` + strings.Repeat(`[`, 600)),
	}
}()

// segmentSeeds are base64url segments at the edges of strict decoding:
// padding, unused bits set, characters of other alphabets.
func segmentSeeds() []string {
	c := b64(claimsJSON())
	return []string{c, c + "=", c + "==", noncanonical(c), strings.ReplaceAll(c, "_", "/"), strings.ReplaceAll(c, "-", "+"), c + "\n", " " + c, "", "A", "AA", "AAA", "!!!!"}
}

// TestVerifyMatchesFormerPath runs every seed of the differential fuzz
// (FuzzVerifyClaims) in every setup.
func TestVerifyMatchesFormerPath(t *testing.T) {
	c := newClock(t0)
	hs, es := newSigner(t, "HS256", "k1"), newSigner(t, "ES256", "k2")
	setups := diffSetups(t, c, hs, es)
	for _, h := range headerSeeds {
		for _, cl := range claimSeeds {
			tok := signSegments(t, hs, b64(h), b64(cl))
			for _, s := range setups {
				compareDecision(t, s, tok)
			}
		}
	}
	for _, seg := range segmentSeeds() {
		for _, tok := range []string{
			signSegments(t, hs, b64(headerSeeds[0]), seg),
			signSegments(t, hs, seg, b64(claimsJSON())),
			withPayload(hs.sign(t, claimsAt(t0), nil), seg),
		} {
			for _, s := range setups {
				compareDecision(t, s, tok)
			}
		}
	}
}

// FuzzVerifyClaims is the differential fuzz of the claim and header
// decoding: the fuzzer writes a header and a claim set (as JSON, or as raw
// segments), the test signs them with the HS256 key — the fuzzer cannot
// forge a MAC, so this is how arbitrary claims reach the decoder — and
// every setup must decide as the former map path decided (reason,
// Principal, claims), and accept nothing golang-jwt's ParseWithClaims
// refuses.
func FuzzVerifyClaims(f *testing.F) {
	c := newClock(t0)
	hs, es := newSigner(f, "HS256", "k1"), newSigner(f, "ES256", "k2")
	setups := diffSetups(f, c, hs, es)
	for _, h := range headerSeeds[:8] {
		for _, cl := range claimSeeds {
			if len(cl) < 4096 {
				f.Add(h, cl, false)
			}
		}
	}
	for _, h := range headerSeeds {
		f.Add(h, claimsJSON(), false)
	}
	for _, seg := range segmentSeeds() {
		f.Add(b64(headerSeeds[0]), seg, true)
		f.Add(seg, b64(claimsJSON()), true)
	}
	f.Fuzz(func(t *testing.T, header, claims string, raw bool) {
		if !raw {
			header, claims = b64(header), b64(claims)
		}
		tok := signSegments(t, hs, header, claims)
		for _, s := range setups {
			compareDecision(t, s, tok)
		}
	})
}

// TestFirstSightAllocations pins the allocations of a first sight (cache
// off) of an HS256 token with the claims of the bench's standard token,
// through the middleware into a handler: the entry with its Principal
// (the scopes and the bytes of its strings kept in it; the payload is
// decoded on the stack), then the context node and the request copy that
// hand the Principal on. Strings longer than the entry holds add one
// buffer. A forged token's refusal allocates nothing (the header and the
// signature are decoded on the stack), nor does an expired token's (its
// claims are decoded on the stack, and the entry is made only for a
// token that passes them).
func TestFirstSightAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := newClock(t0)
	hs := newSigner(t, "HS256", "hs-1")
	cfg := baseConfig(c, hs)
	cfg.CacheSize = new(0)
	a := mustNew(t, cfg)
	m := jwt.MapClaims{
		"iss": "https://issuer.test", "aud": "api://orders", "sub": "user-42", "tenant": "acme",
		"scope": "orders:read orders:write", "jti": "tok-1", "iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(time.Hour).Unix(),
	}
	tok := hs.sign(t, m, nil)
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	w := &benchWriter{h: make(http.Header)}
	r := bearerRequest(tok)
	// serve is the allocations of one request r, with its status in w.
	serve := func() float64 {
		return testing.AllocsPerRun(200, func() {
			w.reset()
			h.ServeHTTP(w, r)
		})
	}
	allocs := serve()
	require.Equal(t, http.StatusNoContent, w.code)
	require.LessOrEqual(t, allocs, 3.0, "HS256 first sight allocations")

	// A client id and a session id too: 51 bytes of strings, still in the
	// entry's room.
	m["client_id"], m["sid"] = "cli-9", "sess-7"
	r = bearerRequest(hs.sign(t, m, nil))
	allocs = serve()
	require.Equal(t, http.StatusNoContent, w.code)
	require.LessOrEqual(t, allocs, 3.0, "HS256 first sight allocations, client and session ids")
	delete(m, "client_id")
	delete(m, "sid")

	m["sub"], m["jti"] = strings.Repeat("s", 40), strings.Repeat("j", 36)
	r = bearerRequest(hs.sign(t, m, nil))
	allocs = serve()
	require.Equal(t, http.StatusNoContent, w.code)
	require.LessOrEqual(t, allocs, 4.0, "HS256 first sight allocations, strings past the entry's room")

	for _, scope := range []any{"orders:read", []string{"x"}, "a a"} {
		m["sub"], m["jti"], m["scope"] = "user-42", "tok-1", scope
		r = bearerRequest(hs.sign(t, m, nil))
		allocs = serve()
		require.Equal(t, http.StatusNoContent, w.code)
		require.LessOrEqual(t, allocs, 3.0, "HS256 first sight allocations, one scope granted by %q", scope)
	}
	m["scope"] = "orders:read orders:write"

	r = bearerRequest(forgedSig(tok))
	allocs = serve()
	require.Equal(t, http.StatusUnauthorized, w.code)
	require.Zero(t, allocs, "a forged token's refusal")

	m["exp"] = t0.Add(-time.Hour).Unix()
	r = bearerRequest(hs.sign(t, m, nil))
	allocs = serve()
	require.Equal(t, http.StatusUnauthorized, w.code)
	require.Zero(t, allocs, "an expired token's refusal")
}

// TestBeforeFastPath: the integer comparison of before agrees with
// golang-jwt's conversion and comparison wherever it is taken.
func TestBeforeFastPath(t *testing.T) {
	nows := []time.Time{t0, t0.Add(999 * time.Millisecond), t0.Add(time.Nanosecond), time.Unix(1, 0), time.Unix(9e9-1, 5), time.Unix(9e9, 0), {}, time.Unix(-5, 0)}
	dates := []float64{float64(t0.Unix()), float64(t0.Unix() - 1), float64(t0.Unix() + 1), 1, 8.999999999e9, 9e9, 0.5, float64(t0.Unix()) + 0.5, -1, 1e300}
	leeways := []time.Duration{0, time.Second, -time.Second, MaxLeeway, -MaxLeeway, 30 * time.Second, time.Nanosecond}
	for _, now := range nows {
		nowNano := int64(-1)
		if sec := now.Unix(); sec > 0 && sec < 9e9 {
			nowNano = now.UnixNano()
		}
		for _, f := range dates {
			for _, d := range leeways {
				for _, delta := range []time.Duration{0, time.Second, -time.Second, time.Nanosecond, -time.Nanosecond} {
					n := now.Add(delta)
					nn := nowNano
					if nn >= 0 {
						nn = n.UnixNano()
					}
					want := n.Before(dateOf(f).Add(d))
					if got := before(n, nn, f, d); got != want {
						t.Fatalf("before(%v, %v, %v) = %v, want %v", n, f, d, got, want)
					}
				}
			}
		}
	}
}

// TestCacheHitAllocations pins a cache hit's allocations through the
// middleware: the context node and the request copy that hand the cached
// Principal on, nothing else — with a static key or a remote one (whose
// liveness is checked), and with a revocation store.
func TestCacheHitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := newClock(t0)
	hs := newSigner(t, "HS256", "hs-1")
	es := newSigner(t, "ES256", "k1")
	srv := newJWKSServer(t, es)
	static := baseConfig(c, hs)
	static.Revocations = NewMemoryRevocations(c.Now)
	remote := jwksConfig(c, srv.URL)
	remote.CacheSize = nil // the default cache
	for name, tc := range map[string]struct {
		cfg Config
		tok string
	}{
		"static key": {static, hs.sign(t, claimsAt(t0), nil)},
		"JWKS key":   {remote, es.sign(t, claimsAt(t0), nil)},
	} {
		t.Run(name, func(t *testing.T) {
			a := mustNew(t, tc.cfg)
			h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			w := &benchWriter{h: make(http.Header)}
			r := bearerRequest(tc.tok)
			h.ServeHTTP(w, r) // first sight: cached from here on
			require.Equal(t, http.StatusNoContent, w.code)
			allocs := testing.AllocsPerRun(200, func() {
				w.reset()
				h.ServeHTTP(w, r)
			})
			require.Equal(t, http.StatusNoContent, w.code)
			require.LessOrEqual(t, allocs, 2.0, "cache hit allocations")
		})
	}
}

// TestHeaderMemo: the header of a verified token is remembered and later
// tokens with the same header segment are read from the memo, deciding
// as the decoding does; a forged token's header takes only an empty slot
// and never evicts a verified header or another forged one.
func TestHeaderMemo(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "k1")
	cfg := baseConfig(c, hs)
	cfg.CacheSize = new(0)
	a := mustNew(t, cfg)
	tok := hs.sign(t, claimsAt(t0), nil)
	h, _, _ := strings.Cut(tok, ".")

	// A long forged header is never kept.
	long := withHeader(t, forgedSig(tok), map[string]any{"alg": "HS256", "kid": "k1", "pad": strings.Repeat("x", forgedHeaderMemo)})
	lh, _, _ := strings.Cut(long, ".")
	_, rs, _ := a.verifyJWT(t.Context(), long)
	require.Equal(t, rInvalid, rs)
	require.Nil(t, a.headers[memoSlot(lh)].Load(), "a forged header over forgedHeaderMemo bytes is not remembered")

	// A forged token's header fills its empty slot, unverified; a second
	// forged header of the same slot does not replace it.
	forged := withHeader(t, forgedSig(tok), map[string]any{"alg": "HS256", "kid": "k1", "x": 1})
	fh, _, _ := strings.Cut(forged, ".")
	_, rs, _ = a.verifyJWT(t.Context(), forged)
	require.Equal(t, rInvalid, rs)
	fm := a.headers[memoSlot(fh)].Load()
	require.NotNil(t, fm, "a forged token's header fills an empty slot")
	require.Equal(t, fh, fm.seg)
	require.False(t, fm.verified)
	var other string
	for i := 2; other == ""; i++ {
		o := withHeader(t, forgedSig(tok), map[string]any{"alg": "HS256", "kid": "k1", "x": i})
		if oh, _, _ := strings.Cut(o, "."); memoSlot(oh) == memoSlot(fh) && oh != fh {
			other = o
		}
	}
	_, rs, _ = a.verifyJWT(t.Context(), other)
	require.Equal(t, rInvalid, rs)
	require.Same(t, fm, a.headers[memoSlot(fh)].Load(), "a forged header never replaces another")
	// Read from the unverified memo, the forged token is refused as before.
	_, rs, _ = a.verifyJWT(t.Context(), forged)
	require.Equal(t, rInvalid, rs)

	// A valid token whose header shares the forged one's slot takes it.
	var valid string
	for i := 0; valid == ""; i++ {
		v := hs.sign(t, claimsAt(t0), map[string]any{"x": i})
		if vh, _, _ := strings.Cut(v, "."); memoSlot(vh) == memoSlot(fh) && vh != fh {
			valid = v
		}
	}
	_, rs, _ = a.verifyJWT(t.Context(), valid)
	require.Equal(t, rOK, rs)
	vm := a.headers[memoSlot(fh)].Load()
	require.True(t, vm.verified, "a verified header evicts a forged one")
	_, rs, _ = a.verifyJWT(t.Context(), forged)
	require.Equal(t, rInvalid, rs)
	require.Same(t, vm, a.headers[memoSlot(fh)].Load(), "a forged header never evicts a verified one")

	// A valid token read from an unverified memo upgrades it.
	a = mustNew(t, cfg)
	_, rs, _ = a.verifyJWT(t.Context(), forgedSig(tok))
	require.Equal(t, rInvalid, rs)
	require.False(t, a.headers[memoSlot(h)].Load().verified)
	_, rs, _ = a.verifyJWT(t.Context(), tok)
	require.Equal(t, rOK, rs)
	require.True(t, a.headers[memoSlot(h)].Load().verified, "a verified token upgrades the memo it was read from")

	a = mustNew(t, cfg)
	_, rs, _ = a.verifyJWT(t.Context(), tok)
	require.Equal(t, rOK, rs)
	m := a.headers[memoSlot(h)].Load()
	require.NotNil(t, m)
	require.Equal(t, h, m.seg)

	var scratch [jwsScratch]byte
	ct := cutToken(tok)
	j, _, _, ok := splitJWS(tok, &ct, a.algs, scratch[:], &a.headers)
	require.True(t, ok)
	require.True(t, j.memo, "the memo is read")
	fresh, _, _, ok := splitJWS(tok, &ct, a.algs, scratch[:], nil)
	require.True(t, ok)
	fresh.sig, j.sig, j.memo, j.verified = nil, nil, false, false
	require.Equal(t, fresh, j, "the memo holds what the decoding reads")

	// With the memo: the same decisions (a forged signature, another
	// token of the same header).
	for range 2 {
		_, rs, _ = a.verifyJWT(t.Context(), forgedSig(tok))
		require.Equal(t, rInvalid, rs)
		m2 := claimsAt(t0)
		m2["sub"] = "other"
		p, rs, _ := a.verifyJWT(t.Context(), hs.sign(t, m2, nil))
		require.Equal(t, rOK, rs)
		require.Equal(t, "other", p.Subject)
	}
}

// manyScopes returns n scope-tokens, every fifth one a repeat of the one
// three before it, joined by sep (a comma joins them as JSON strings).
func manyScopes(n int, sep string) string {
	var out []string
	for i := range n {
		s := "s" + strconv.Itoa(i)
		if i%5 == 4 {
			s = "s" + strconv.Itoa(i-3)
		}
		if sep == "," {
			s = strconv.Quote(s)
		}
		out = append(out, s)
	}
	return strings.Join(out, sep)
}
