package apikey_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	gatehouse "github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// A payment API: the key in the ApiKey header, the tenant in X-Tenant-ID,
// numeric code -23 on every 401 and 403 when the key may not call the
// surface.
func ExampleAuthenticator_Middleware() {
	ctx := context.Background()
	store := apikey.NewMemoryStore()

	payment, rec, _ := apikey.Generate("live")
	rec.Tenant, rec.Surfaces, rec.Scopes = "acme", []string{"payment"}, []string{"charges:write"}
	_ = store.Put(ctx, rec)
	supplier, rec, _ := apikey.Generate("live")
	rec.Tenant, rec.Surfaces = "acme", []string{"supplier"}
	_ = store.Put(ctx, rec)

	auth, err := apikey.New(apikey.Config{
		Store:        store,
		Header:       "ApiKey",
		Tenant:       apikey.TenantHeader("X-Tenant-ID"),
		Surface:      "payment",
		Unauthorized: envelope.ErrUnauthorized.WithNumber(-23),
		Style:        envelope.Numeric,
	})
	if err != nil {
		panic(err)
	}
	charges := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		fmt.Fprintf(w, "tenant %s, scopes %v", p.Tenant, p.Scopes)
	}))

	call := func(key, tenant string) {
		r := httptest.NewRequest(http.MethodPost, "/Payment/Charges/Create", nil)
		if key != "" {
			r.Header.Set("apikey", key) // header names are case-insensitive
		}
		r.Header.Set("X-Tenant-ID", tenant)
		w := httptest.NewRecorder()
		charges.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	call(payment, "acme")
	call("", "acme")
	call(payment, "globex")
	call(supplier, "acme")
	// Output:
	// 200 tenant acme, scopes [charges:write]
	// 401 {"code":-23,"message":"API key required"}
	// 401 {"code":-23,"message":"Invalid API key"}
	// 403 {"code":403,"message":"API key not allowed on this endpoint"}
}

// Generate returns the plaintext once, for the key's owner, and the record
// to store, which holds only the key's SHA-256.
func ExampleGenerate() {
	key, rec, err := apikey.Generate("test")
	if err != nil {
		panic(err)
	}
	env, err := apikey.ParseKey(key)
	fmt.Println(env, err)
	fmt.Println(len(key), strings.HasPrefix(key, "ak_test_"))
	fmt.Println(strings.HasPrefix(key, rec.Prefix), len(rec.Prefix))
	fmt.Println(rec.Hash == apikey.Hash(key))
	// Output:
	// test <nil>
	// 46 true
	// true 14
	// true
}

// Rotation without downtime: issue a new key while the old one still
// works, let the integration switch, then revoke the old key, which stops
// working at once.
func Example_rotation() {
	ctx := context.Background()
	store := apikey.NewMemoryStore()
	auth, err := apikey.New(apikey.Config{Store: store})
	if err != nil {
		panic(err)
	}
	check := func(key string) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("ApiKey", key)
		if _, err := auth.Check(r); err != nil {
			return err.Error()
		}
		return "ok"
	}

	oldKey, oldRec, _ := apikey.Generate("live")
	oldRec.Tenant = "acme"
	_ = store.Put(ctx, oldRec)

	// 1. Create the new key; both are valid.
	newKey, newRec, _ := apikey.Generate("live")
	newRec.Tenant = "acme"
	_ = store.Put(ctx, newRec)
	fmt.Println("old:", check(oldKey), "new:", check(newKey))

	// 2. Once the integration uses the new key, revoke the old one.
	_ = store.Revoke(ctx, oldRec.ID, time.Now())
	fmt.Println("old:", check(oldKey), "new:", check(newKey))
	// Output:
	// old: ok new: ok
	// old: envelope: UNAUTHORIZED: API key revoked new: ok
}

// Keys issued before adopting this package (or fixed in configuration,
// such as "ABCD") are imported with MemoryStore.Add and accepted with
// FormatOpaque; here the header is a lower-case "apikey".
func ExampleMemoryStore_Add() {
	store := apikey.NewMemoryStore()
	_, _ = store.Add(context.Background(), "ABCD", apikey.Record{ID: "jackpot-store-1", Tenant: "store-1"})
	auth, err := apikey.New(apikey.Config{Store: store, Header: "apikey", Format: apikey.FormatOpaque})
	if err != nil {
		panic(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/v2/stores", nil)
	r.Header.Set("apikey", "ABCD")
	p, err := auth.Check(r)
	fmt.Println(p.TokenID, p.Tenant, err)
	// Output:
	// jackpot-store-1 store-1 <nil>
}

// ParseKey is the offline check a secret scanner or a support tool can run:
// format and checksum, no store.
func ExampleParseKey() {
	_, err := apikey.ParseKey("ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d")
	fmt.Println(err)
	// Output:
	// apikey: malformed key
}
