// Package contender builds every middleware the bench module compares, each
// configured the way its documentation shows and wrapped around the same
// 204 handler ([fixture.NoContent], or a 204 route for echo and gin), so the
// micro-benchmarks and the load servers measure identical stacks.
package contender

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v3"
	"github.com/auth0/go-jwt-middleware/v3/validator"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/jwtauth/v5"
	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"

	ginjwt "github.com/appleboy/gin-jwt/v2"
	jwt4 "github.com/golang-jwt/jwt/v4"

	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// A JWT contender builds a middleware stack for one algorithm fixture.
type JWT struct {
	// Name is the column name in the results.
	Name string
	// Checks says what the contender verifies beyond the signature, as
	// configured here.
	Checks string
	// New builds the stack.
	New func(a *fixture.Alg) (http.Handler, error)
	// Framework is "echo" or "gin" for contenders that only run inside
	// their framework (their baseline is the bare framework), "" otherwise.
	Framework string
}

// JWTs lists the JWT contenders other than gatehouse, in column order.
var JWTs = []JWT{
	{Name: "floor", Checks: "alg, exp, nbf, iss, aud", New: Floor},
	{Name: "auth0", Checks: "alg, exp, nbf, iss, aud", New: Auth0},
	{Name: "jwtauth", Checks: "alg, exp, nbf, iss, aud", New: JWTAuth},
	{Name: "echo-jwt", Checks: "alg, exp, nbf (no iss/aud option)", New: EchoJWT, Framework: "echo"},
	{Name: "gin-jwt", Checks: "alg, exp (no iss/aud option)", New: GinJWT, Framework: "gin"},
}

type claimsKey struct{}

// Floor is the least a correct JWT middleware does on net/http: cut the
// "Bearer " prefix, golang-jwt's ParseWithClaims into RegisteredClaims with
// the algorithm, issuer, audience and expiry enforced, the claims stored in
// the request context. A refusal is a bare 401 with a challenge header.
func Floor(a *fixture.Alg) (http.Handler, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{a.Name}),
		jwt.WithIssuer(fixture.Issuer),
		jwt.WithAudience(fixture.Audience),
		jwt.WithExpirationRequired(),
	)
	key := a.Verify
	keyfunc := func(*jwt.Token) (any, error) { return key, nil }
	next := fixture.NoContent
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orders"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var c jwt.RegisteredClaims
		if _, err := parser.ParseWithClaims(tok, &c, keyfunc); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orders", error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, &c)))
	}), nil
}

// Auth0 is github.com/auth0/go-jwt-middleware (v3) with its validator
// requiring the algorithm, issuer and audience.
func Auth0(a *fixture.Alg) (http.Handler, error) {
	key := a.Verify
	v, err := validator.New(
		validator.WithKeyFunc(func(context.Context) (any, error) { return key, nil }),
		validator.WithAlgorithm(validator.SignatureAlgorithm(a.Name)),
		validator.WithIssuer(fixture.Issuer),
		validator.WithAudience(fixture.Audience),
	)
	if err != nil {
		return nil, err
	}
	m, err := jwtmiddleware.New(jwtmiddleware.WithValidator(v))
	if err != nil {
		return nil, err
	}
	return m.CheckJWT(fixture.NoContent), nil
}

// JWTAuth is github.com/go-chi/jwtauth/v5: Verifier then Authenticator, as
// its README chains them, with issuer and audience validation options.
func JWTAuth(a *fixture.Alg) (http.Handler, error) {
	ja := jwtauth.New(a.Name, nil, a.Verify,
		jwxjwt.WithIssuer(fixture.Issuer),
		jwxjwt.WithAudience(fixture.Audience),
	)
	return jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(fixture.NoContent)), nil
}

// EchoJWT is github.com/labstack/echo-jwt on an echo instance with one 204
// route. echo-jwt has no issuer or audience option short of replacing its
// parser, so it checks the algorithm, the signature and the time claims.
func EchoJWT(a *fixture.Alg) (http.Handler, error) {
	e := echoBare()
	e.Use(echojwt.WithConfig(echojwt.Config{SigningKey: a.Verify, SigningMethod: a.Name}))
	e.GET(fixture.Path, noContentEcho)
	return e, nil
}

// EchoBare is the echo instance of [EchoJWT] without the middleware: the
// framework's own cost, which echo-jwt's numbers include.
func EchoBare() http.Handler {
	e := echoBare()
	e.GET(fixture.Path, noContentEcho)
	return e
}

func echoBare() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	return e
}

func noContentEcho(c echo.Context) error { return c.NoContent(http.StatusNoContent) }

// GinJWT is github.com/appleboy/gin-jwt (v2, the newest major the module
// proxy serves) on a gin engine with one 204 route. HS256 uses its Key
// field; the public-key algorithms a KeyFunc that enforces the algorithm as
// its own default does. gin-jwt checks the algorithm, the signature and exp.
func GinJWT(a *fixture.Alg) (http.Handler, error) {
	mw := &ginjwt.GinJWTMiddleware{Realm: fixture.Realm, SigningAlgorithm: a.Name}
	if key, ok := a.Verify.([]byte); ok {
		mw.Key = key
	} else {
		key := a.Verify
		method := jwt4.GetSigningMethod(a.Name)
		if method == nil {
			return nil, fmt.Errorf("gin-jwt: no signing method %s", a.Name)
		}
		mw.KeyFunc = func(t *jwt4.Token) (any, error) {
			if t.Method != method {
				return nil, ginjwt.ErrInvalidSigningAlgorithm
			}
			return key, nil
		}
	}
	m, err := ginjwt.New(mw)
	if err != nil {
		return nil, err
	}
	g := ginBare()
	g.Use(m.MiddlewareFunc())
	g.GET(fixture.Path, noContentGin)
	return g, nil
}

// GinBare is the gin engine of [GinJWT] without the middleware.
func GinBare() http.Handler {
	g := ginBare()
	g.GET(fixture.Path, noContentGin)
	return g
}

func ginBare() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	return gin.New()
}

func noContentGin(c *gin.Context) { c.Status(http.StatusNoContent) }
