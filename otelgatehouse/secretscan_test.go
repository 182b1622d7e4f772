package otelgatehouse_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// secrets are the credentials planted in the requests, by what they are.
type secrets map[string][]string

func (s secrets) add(kind string, values ...string) {
	for _, v := range values {
		if v != "" {
			s[kind] = append(s[kind], v)
		}
	}
}

// fragments are what must never show up: each secret whole and, for a
// JWT (a token, a proof), each of its parts long enough to be telling
// (its header and payload as sent, its signature).
func (s secrets) fragments() map[string]string {
	out := map[string]string{}
	for kind, values := range s {
		for i, v := range values {
			name := fmt.Sprintf("%s #%d", kind, i+1)
			out[v] = name
			if parts := strings.Split(v, "."); len(parts) == 3 {
				for j, p := range parts {
					if len(p) >= 16 {
						out[p] = fmt.Sprintf("%s part %d", name, j+1)
					}
				}
			}
		}
	}
	return out
}

// TestNoSecretInTelemetry plants distinctive secrets — JWTs (valid,
// expired, tampered, issued by login and by the token endpoint, in the
// header and in the query), refresh tokens, API keys, passwords, a
// client secret, a DPoP proof — in requests through the real bearer,
// apikey, issuer and tokenendpoint middleware on a loopback server, with
// the Telemetry as Auditor, step spans, store wrappers and key-set
// reporting on, and a logging Auditor and bearer's Logger beside it. It
// then asserts that no attribute of any metric data point or exemplar, no
// span name, attribute, event or status, and no log line contains any of
// them, and that the telemetry is there (the scan is not of nothing).
func TestNoSecretInTelemetry(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{StepSpans: true, RecordSubject: true})
	tel := h.tel
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	audit := fanOut(gatehouse.SlogAuditor(log), tel)
	planted := secrets{}

	// bearer: a provider found by discovery, DPoP allowed.
	p := gatehousetest.NewProvider(t)
	auth := p.Authenticator(t, bearer.Config{
		Audit: audit, Logger: log, DPoP: bearer.DPoP{Mode: bearer.DPoPAllowed},
		Revocations: tel.RevocationStore(bearer.NewMemoryRevocations(nil)),
		Fetch:       bearer.Fetch{OnResult: tel.KeySetFetched},
	})
	reg, err := tel.ObserveKeySets(auth)
	require.NoError(t, err)
	t.Cleanup(func() { _ = reg.Unregister() })

	// apikey, on a store through the wrapper.
	keys := gatehousetest.NewAPIKeys(t)
	keyAuth := keys.Authenticator(t, apikey.Config{Audit: audit, Store: tel.APIKeyStore(keys.Store())})

	// issuer: login, refresh, logout, with a throttle.
	const password = "pw-Tr0ub4dor&3-SECRET-9f1c"
	hash, err := issuer.HashPassword(password, 4)
	require.NoError(t, err)
	creds, err := issuer.NewMemoryCredentials(issuer.Account{Username: "alice", PasswordHash: hash, Tenant: "acme", Scopes: []string{"orders:read"}})
	require.NoError(t, err)
	refresh, err := issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{})
	require.NoError(t, err)
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 5, Store: tel.FailureStore(ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{}))})
	require.NoError(t, err)
	const signingSecret = "issuer-signing-key-SECRET-0123456789abcdef"
	iss, err := issuer.New(issuer.Config{
		Issuer: "https://login.test", Audiences: []string{"api"}, Key: issuer.SigningKey{Key: []byte(signingSecret)},
		Credentials: creds, Refresh: tel.RefreshStore(refresh), Revocations: tel.RevocationStore(bearer.NewMemoryRevocations(nil)),
		Throttle: throttle, BcryptCost: 4, Audit: audit,
	})
	require.NoError(t, err)
	planted.add("signing key", signingSecret)

	// tokenendpoint: client credentials.
	const clientSecret = "cs-SECRET-7d2b1e0c9a8f7e6d5c4b3a29"
	clients, err := tokenendpoint.NewMemoryClients(tokenendpoint.Client{ID: "svc-client", SecretHash: tokenendpoint.HashClientSecret(clientSecret)})
	require.NoError(t, err)
	ep, err := tokenendpoint.New(tokenendpoint.Config{
		Issuer: "https://tokens.test", Key: tokenendpoint.SigningKey{Key: []byte("endpoint-signing-key-SECRET-abcdef0123456789")}, Clients: clients, Audit: audit,
	})
	require.NoError(t, err)
	planted.add("signing key", "endpoint-signing-key-SECRET-abcdef0123456789")

	mux := http.NewServeMux()
	mux.Handle("/api/", gatehouse.Chain(tel.Measure("bearer", auth.Middleware))(ok200))
	mux.Handle("/keys/", gatehouse.Chain(tel.Measure("apikey", keyAuth.Middleware))(ok200))
	mux.HandleFunc("POST /auth/login", iss.Login)
	mux.HandleFunc("POST /auth/refresh", iss.Refresh)
	mux.HandleFunc("POST /auth/logout", iss.Logout)
	mux.Handle("POST /oauth/token", ep)
	// The server span, as otelhttp starts it.
	tracer := h.tp.Tracer("server")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tracer.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		mux.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(srv.Close)

	do := func(method, path string, body io.Reader, header http.Header) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, body)
		require.NoError(t, err)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	bearerHeader := func(scheme, tok string) http.Header { return http.Header{"Authorization": {scheme + " " + tok}} }
	jsonHeader := http.Header{"Content-Type": {"application/json"}}

	// Bearer tokens: valid, expired, tampered, foreign, in the query.
	good := p.Token(t, gatehousetest.Claims{Subject: "alice", ID: "jti-visible-1"})
	expired := p.Token(t, gatehousetest.Claims{}, gatehousetest.Expired())
	tampered := p.Token(t, gatehousetest.Claims{}, gatehousetest.Tampered())
	foreign := p.Token(t, gatehousetest.Claims{}, gatehousetest.Foreign())
	queryToken := p.Token(t, gatehousetest.Claims{Subject: "query-user"})
	planted.add("jwt", good, expired, tampered, foreign, queryToken)
	code, _ := do("GET", "/api/orders", nil, bearerHeader("Bearer", good))
	assert.Equal(t, 200, code)
	for _, tok := range []string{expired, tampered, foreign} {
		code, _ = do("GET", "/api/orders", nil, bearerHeader("Bearer", tok))
		assert.Equal(t, 401, code)
	}
	code, _ = do("GET", "/api/orders?access_token="+url.QueryEscape(queryToken), nil, nil)
	assert.NotEqual(t, 200, code, "a query token alone is not a credential here")
	code, _ = do("GET", "/api/orders?access_token="+url.QueryEscape(queryToken), nil, bearerHeader("Bearer", good))
	assert.Equal(t, 400, code, "a query token beside the header's")

	// DPoP: a bound token with its proof, and with a proof of another key.
	key := gatehousetest.NewDPoPKey(t)
	bound := p.Token(t, gatehousetest.Claims{Subject: "dpop-user"}, gatehousetest.BoundTo(key))
	proof := gatehousetest.DPoPProof(t, key, "GET", srv.URL+"/api/orders", bound)
	otherProof := gatehousetest.DPoPProof(t, gatehousetest.NewDPoPKey(t), "GET", srv.URL+"/api/orders", bound)
	planted.add("jwt", bound)
	planted.add("dpop proof", proof, otherProof)
	code, _ = do("GET", "/api/orders", nil, http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {proof}})
	assert.Equal(t, 200, code)
	code, _ = do("GET", "/api/orders", nil, http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {otherProof}})
	assert.Equal(t, 401, code)

	// API keys: a stored one, an unknown one, one in the query string.
	apiKey := keys.Add(t, apikey.Record{Subject: "svc-7", Tenant: "acme"})
	unknownKey, _, err := apikey.Generate("test")
	require.NoError(t, err)
	planted.add("api key", apiKey, unknownKey)
	code, _ = do("GET", "/keys/list", nil, http.Header{apikey.DefaultHeader: {apiKey}})
	assert.Equal(t, 200, code)
	code, _ = do("GET", "/keys/list", nil, http.Header{apikey.DefaultHeader: {unknownKey}})
	assert.Equal(t, 401, code)
	code, _ = do("GET", "/keys/list?api_key="+url.QueryEscape(apiKey), nil, nil)
	assert.Equal(t, 401, code)

	// Logins: a wrong password, the right one; refresh; logout.
	const wrongPassword = "wrong-pw-SECRET-44b1"
	planted.add("password", password, wrongPassword)
	code, _ = do("POST", "/auth/login", strings.NewReader(`{"username":"alice","password":"`+wrongPassword+`"}`), jsonHeader)
	assert.Equal(t, 401, code)
	code, body := do("POST", "/auth/login", strings.NewReader(`{"username":"alice","password":"`+password+`"}`), jsonHeader)
	require.Equal(t, 200, code, body)
	pair := pairOf(t, body)
	planted.add("jwt", pair.Access)
	planted.add("refresh token", pair.Refresh)
	code, body = do("POST", "/auth/refresh", strings.NewReader(`{"refresh_token":"`+pair.Refresh+`"}`), jsonHeader)
	require.Equal(t, 200, code, body)
	next := pairOf(t, body)
	planted.add("jwt", next.Access)
	planted.add("refresh token", next.Refresh)
	code, _ = do("POST", "/auth/refresh", strings.NewReader(`{"refresh_token":"`+pair.Refresh+`"}`), jsonHeader)
	assert.Equal(t, 401, code, "reuse of a rotated refresh token")
	code, _ = do("POST", "/auth/logout", nil, bearerHeader("Bearer", next.Access))
	assert.Equal(t, 200, code)

	// Client credentials: in the form, then a wrong secret in Basic.
	const wrongSecret = "cs-wrong-SECRET-0f9e8d7c"
	planted.add("client secret", clientSecret, wrongSecret)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	code, body = do("POST", "/oauth/token", strings.NewReader("grant_type=client_credentials&client_id=svc-client&client_secret="+url.QueryEscape(clientSecret)), form)
	require.Equal(t, 200, code, body)
	planted.add("jwt", pairOf(t, body).Access)
	basic := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	req := httptest.NewRequest("POST", "/", nil)
	req.SetBasicAuth("svc-client", wrongSecret)
	basic.Set("Authorization", req.Header.Get("Authorization"))
	planted.add("basic credentials", strings.TrimPrefix(req.Header.Get("Authorization"), "Basic "))
	code, _ = do("POST", "/oauth/token", strings.NewReader("grant_type=client_credentials"), basic)
	assert.Equal(t, 401, code)

	// Scan.
	rm := h.collect(t)
	var scanned []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, set := range pointAttributes(m) {
				scanned = append(scanned, m.Name+" "+render(set))
			}
		}
	}
	spans := h.spans.Ended()
	for _, s := range spans {
		scanned = append(scanned, "span "+s.Name()+" "+attrs(s.Attributes()...)+" status "+s.Status().Description)
		for _, e := range s.Events() {
			scanned = append(scanned, "event "+e.Name+" "+attrs(e.Attributes...))
		}
		for _, l := range s.Links() {
			scanned = append(scanned, "link "+attrs(l.Attributes...))
		}
	}
	for line := range strings.SplitSeq(logs.String(), "\n") {
		scanned = append(scanned, "log "+line)
	}
	frags := planted.fragments()
	require.GreaterOrEqual(t, len(frags), 20)
	for _, text := range scanned {
		for frag, what := range frags {
			if strings.Contains(text, frag) {
				t.Errorf("%s leaked into: %.200s", what, text)
			}
		}
	}

	// The telemetry is there: the scan covered real data.
	decisions := counts(t, rm, otelgatehouse.MetricDecisions)
	var sources []string
	for k := range decisions {
		sources = append(sources, k)
	}
	joined := strings.Join(sources, "\n")
	for _, src := range []string{"gatehouse.source=bearer", "gatehouse.source=apikey", "gatehouse.source=issuer", "gatehouse.source=tokenendpoint"} {
		assert.Contains(t, joined, src)
	}
	var events int
	var sawSubject, sawJTI bool
	for _, s := range spans {
		for _, e := range s.Events() {
			events++
			set := attribute.NewSet(e.Attributes...)
			if v, ok := set.Value("enduser.id"); ok && v.AsString() == "alice" {
				sawSubject = true
			}
			if v, ok := set.Value(otelgatehouse.AttrCredentialID); ok && v.AsString() == "jti-visible-1" {
				sawJTI = true
			}
		}
	}
	assert.GreaterOrEqual(t, events, 15, "a decision event per decision")
	assert.True(t, sawSubject, "span events carry the subject")
	assert.True(t, sawJTI, "span events carry the token id, not the token")
	_, ok := histograms(t, rm, otelgatehouse.MetricStoreDuration)[storeCall("refresh", "Rotate")]
	assert.True(t, ok)
	assert.Contains(t, logs.String(), "gatehouse bearer authenticate")
	assert.Greater(t, len(scanned), 50)
}

// pairOf reads a login or refresh answer, bare or in the envelope's data.
func pairOf(t testing.TB, body string) tokenPair {
	t.Helper()
	type pair struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	var answer struct {
		pair
		Data *pair `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &answer), body)
	if answer.Data != nil {
		answer.pair = *answer.Data
	}
	require.NotEmpty(t, answer.AccessToken, body)
	return tokenPair{answer.AccessToken, answer.RefreshToken}
}

// pointAttributes returns the attribute sets of every data point of m,
// and of their exemplars.
func pointAttributes(m metricdata.Metrics) []attribute.Set {
	var out []attribute.Set
	exemplars := func(ex any) {
		switch ex := ex.(type) {
		case []metricdata.Exemplar[int64]:
			for _, e := range ex {
				out = append(out, attribute.NewSet(e.FilteredAttributes...))
			}
		case []metricdata.Exemplar[float64]:
			for _, e := range ex {
				out = append(out, attribute.NewSet(e.FilteredAttributes...))
			}
		}
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
			exemplars(p.Exemplars)
		}
	case metricdata.Sum[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
			exemplars(p.Exemplars)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
			exemplars(p.Exemplars)
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
			exemplars(p.Exemplars)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
			exemplars(p.Exemplars)
		}
	default:
		panic(fmt.Sprintf("unexpected data %T of %s", m.Data, m.Name))
	}
	return out
}
