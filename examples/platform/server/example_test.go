package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/examples/platform/server"
	"golang.org/x/crypto/bcrypt"
)

// Rotating the Payment API key after a suspected leak: issue a new key with
// the same tenant, surfaces and scopes, deploy it, then revoke the old one,
// which is refused from its next request on.
func ExampleServer_RotateKey() {
	ctx := context.Background()
	srv, err := server.New(server.Config{
		Reseller:    server.Account{Username: "partner", Password: "partner-pass"},
		Customer:    server.Account{Username: "jane@acme.example", Password: "customer-pass"},
		SupplierKey: "ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d",
		PaymentKey:  "ak_live_5e2d7c9a1b3f4e6d8c0a2b4c6d8e0f1a",
		BcryptCost:  bcrypt.MinCost,
	})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	charge := func(key string) string {
		req, _ := http.NewRequest("POST", ts.URL+"/Payment/Charges/Create", strings.NewReader(`{"amount":1999,"currency":"EUR"}`))
		req.Header.Set("ApiKey", key)
		req.Header.Set("X-Tenant-ID", "acme")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			b, _ := io.ReadAll(res.Body)
			return fmt.Sprintf("%d %s", res.StatusCode, b)
		}
		return res.Status
	}

	oldKey := "ak_live_5e2d7c9a1b3f4e6d8c0a2b4c6d8e0f1a"
	old, _ := srv.Keys().Lookup(ctx, apikey.Hash(oldKey))
	newKey, _, _ := srv.RotateKey(ctx, old.ID)
	fmt.Println("both valid:", charge(oldKey), "/", charge(newKey))

	_ = srv.RevokeKey(ctx, old.ID)
	fmt.Println("old key:", charge(oldKey))
	fmt.Println("new key:", charge(newKey))
	// Output:
	// both valid: 201 Created / 201 Created
	// old key: 401 {"code":-23,"message":"API key revoked"}
	// new key: 201 Created
}
