// Package routers serves one tiny protected API on three routers — the
// standard library's ServeMux (Go 1.22 method patterns), chi and gin — to
// show that every gatehouse middleware is a plain
// func(http.Handler) http.Handler that needs no router-specific glue, except
// for gin, whose handlers have their own shape: [Gin] adapts any such
// middleware to a gin.HandlerFunc.
//
// The API:
//
//	GET /api/v1/whoami   any authenticated caller; answers its Principal
//	GET /api/v1/orders   callers with the "orders:read" scope
package routers
