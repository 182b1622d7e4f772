package gatehouseecho_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-go/gatehouse"
	gatehouseecho "github.com/gatehouse-go/gatehouse/adapters/echo"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// An orders API on echo: every route under /api needs a bearer token, and
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

	e := echo.New()
	e.Use(gatehouseecho.Wrap(envelope.Recover(slog.Default())), gatehouseecho.Wrap(envelope.Use(envelope.Flat)))
	api := e.Group("/api", gatehouseecho.Wrap(auth.Middleware))
	api.GET("/orders", func(c echo.Context) error {
		p, _ := gatehouseecho.Principal(c)
		return c.JSON(http.StatusOK, map[string]string{"customer": p.Subject})
	}, gatehouseecho.Wrap(perms.Require("orders:read")))

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
		e.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 401 {"success":false,"error":"Unauthorized","message":"Missing bearer token"}
	// 403 {"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:read"}
	// 200 {"customer":"alice"}
}

// Principal reads the caller in an echo handler;
// gatehouse.PrincipalFrom on c.Request().Context() returns the same.
func ExamplePrincipal() {
	auth := gatehouseecho.Wrap(func(next http.Handler) http.Handler { // any authentication middleware
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{Subject: "alice", Scopes: []string{"orders:read"}})))
		})
	})
	e := echo.New()
	e.GET("/whoami", func(c echo.Context) error {
		p, ok := gatehouseecho.Principal(c)
		same, _ := gatehouse.PrincipalFrom(c.Request().Context())
		return c.String(http.StatusOK, fmt.Sprintf("%s %v %v %s", p.Subject, p.Scopes, ok, same.Subject))
	}, auth)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/whoami", nil))
	fmt.Println(rec.Body.String())
	// Output:
	// alice [orders:read] true alice
}
