package gatehousegin_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse"
	gatehousegin "github.com/gatehouse-go/gatehouse/adapters/gin"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// An orders API on gin: every route under /api needs a bearer token, and
// GET /api/orders the "orders:read" scope. A refused request never reaches
// the handler.
func ExampleWrap() {
	key := []byte("a-secret-of-at-least-32-bytes!!!")
	auth, err := bearer.New(bearer.Config{
		Realm:      "orders",
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "https://auth.example.com", Keys: []bearer.Key{{Algorithm: "HS256", Key: key}}}},
		Audiences:  []string{"orders-api"},
	})
	if err != nil {
		panic(err)
	}
	perms, err := scopes.New(scopes.Config{Realm: "orders"})
	if err != nil {
		panic(err)
	}

	r := gin.New()
	r.Use(gatehousegin.Wrap(envelope.Recover(slog.Default())), gatehousegin.Wrap(envelope.Use(envelope.Flat)))
	api := r.Group("/api", gatehousegin.Wrap(auth.Middleware))
	api.GET("/orders", gatehousegin.Wrap(perms.Require("orders:read")), func(c *gin.Context) {
		p, _ := gatehousegin.Principal(c)
		c.JSON(http.StatusOK, gin.H{"customer": p.Subject})
	})

	token := func(scope string) string {
		t, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"iss": "https://auth.example.com", "aud": "orders-api", "sub": "alice", "scope": scope,
			"exp": time.Now().Add(time.Hour).Unix(),
		}).SignedString(key)
		return t
	}
	for _, bearerToken := range []string{"", token("profile"), token("orders:read")} {
		req := httptest.NewRequest(http.MethodGet, "/api/orders", nil)
		if bearerToken != "" {
			req.Header.Set("Authorization", "Bearer "+bearerToken)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 401 {"success":false,"error":"Unauthorized","message":"Missing bearer token"}
	// 403 {"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:read"}
	// 200 {"customer":"alice"}
}

// Principal reads the caller in a gin handler; gatehouse.PrincipalFrom on
// c.Request.Context() returns the same.
func ExamplePrincipal() {
	auth := gatehousegin.Wrap(func(next http.Handler) http.Handler { // any authentication middleware
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{Subject: "alice", Scopes: []string{"orders:read"}})))
		})
	})
	r := gin.New()
	r.GET("/whoami", auth, func(c *gin.Context) {
		p, ok := gatehousegin.Principal(c)
		same, _ := gatehouse.PrincipalFrom(c.Request.Context())
		c.String(http.StatusOK, "%s %v %v %s", p.Subject, p.Scopes, ok, same.Subject)
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/whoami", nil))
	fmt.Println(rec.Body.String())
	// Output:
	// alice [orders:read] true alice
}
