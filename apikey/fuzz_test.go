package apikey

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// FuzzCheck drives the header and key-format parsing of Check with
// arbitrary header lines. Properties: it never panics; it accepts only the
// one stored key, sent once; anything that fails the format check never
// reaches the store; every refusal is a 401 *envelope.Error whose message
// does not echo the input; in the Middleware, a throttle under its limit
// changes no decision and counts exactly the refusals of requests that
// sent the header.
func FuzzCheck(f *testing.F) {
	mem := NewMemoryStore()
	key, rec, err := Generate("live")
	if err != nil {
		f.Fatal(err)
	}
	rec.Tenant = "acme"
	if err := mem.Put(context.Background(), rec); err != nil {
		f.Fatal(err)
	}
	spy := &spyStore{Store: mem}
	a := must(New(Config{Store: spy, Environments: []string{"live"}, Now: func() time.Time { return t0 }}))
	th := newCountingThrottle(1 << 30)
	throttled := must(New(Config{Store: mem, Environments: []string{"live"}, Now: func() time.Time { return t0 },
		Throttle: th, ThrottleKey: func(*http.Request) string { return "k" }}))

	f.Add(key, "", uint8(1))
	f.Add(key, key, uint8(2))
	f.Add("", "", uint8(1))
	f.Add(key+" ", "", uint8(1))
	f.Add("ak_test_"+key[8:], "", uint8(1))
	f.Add(strings.Repeat("A", 200), "", uint8(1))
	f.Add("ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d", "", uint8(0))
	f.Fuzz(func(t *testing.T, v1, v2 string, lines uint8) {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		switch lines % 3 {
		case 1:
			r.Header["Apikey"] = []string{v1}
		case 2:
			r.Header["Apikey"] = []string{v1, v2}
		}
		spy.lookups = nil
		p, err := a.Check(r)

		// Under its limit, a throttle changes no decision and keeps
		// exactly the refused keys counted.
		before := th.count("k")
		w := httptest.NewRecorder()
		throttled.Middleware(&principalHandler{}).ServeHTTP(w, r)
		refused := w.Code != http.StatusNoContent
		if refused != (err != nil) || refused && w.Code != envelope.As(err).Status {
			t.Fatalf("throttled decision %d differs from %v", w.Code, err)
		}
		if want := before + boolInt(refused && lines%3 != 0); th.count("k") != want {
			t.Fatalf("throttle count %d, want %d", th.count("k"), want)
		}

		if err == nil {
			if lines%3 != 1 || v1 != key || p.TokenID != rec.ID {
				t.Fatalf("accepted %d lines %q, %q", lines%3, v1, v2)
			}
			return
		}
		var e *envelope.Error
		if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
			t.Fatalf("refusal %v is not a 401 envelope error", err)
		}
		if len(v1) >= 4 && strings.Contains(e.Message, v1) {
			t.Fatalf("message %q echoes the input", e.Message)
		}
		if _, perr := ParseKey(v1); (perr != nil || lines%3 != 1) && len(spy.lookups) != 0 {
			t.Fatalf("%q reached the store", v1)
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
