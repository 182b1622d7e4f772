package gatehousegin

import (
	"github.com/gin-gonic/gin"

	"github.com/gatehouse-go/gatehouse"
)

// principalKey is the gin context key the Principal is stored under, as
// the *gatehouse.Principal of the request's context: it may be shared by
// every request with the same credential, so it is only read, and
// Principal returns copies.
type principalKey struct{}

// Principal returns the Principal of the request c serves, as a middleware
// run by [Wrap] found it in the request it passed on, and whether there was
// one: the same as gatehouse.PrincipalFrom(c.Request.Context()), read from
// the gin context. Its Scopes are the caller's own copy.
func Principal(c *gin.Context) (gatehouse.Principal, bool) {
	v, ok := c.Get(principalKey{})
	if !ok {
		return gatehouse.Principal{}, false
	}
	p, ok := v.(*gatehouse.Principal)
	if !ok || p == nil {
		return gatehouse.Principal{}, false
	}
	return p.Clone(), true
}
