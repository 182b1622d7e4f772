package gatehouseecho

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-go/gatehouse"
)

// principalKey is the echo context key the Principal is stored under, as
// the *gatehouse.Principal of the request's context: it may be shared by
// every request with the same credential, so it is only read, and
// Principal returns copies.
const principalKey = "github.com/gatehouse-go/gatehouse/adapters/echo.principal"

// Principal returns the Principal of the request c serves, as a middleware
// run by [Wrap] found it in the request it passed on, and whether there was
// one: the same as gatehouse.PrincipalFrom(c.Request().Context()), read
// from the echo context. Its Scopes are the caller's own copy.
func Principal(c echo.Context) (gatehouse.Principal, bool) {
	p, ok := c.Get(principalKey).(*gatehouse.Principal)
	if !ok || p == nil {
		return gatehouse.Principal{}, false
	}
	return p.Clone(), true
}
