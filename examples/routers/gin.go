package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	gatehousegin "github.com/gatehouse-go/gatehouse/adapters/gin"
)

// Gin serves the API on gin. gin's handlers have their own shape, so each
// gatehouse middleware goes through gatehousegin.Wrap, which aborts the gin
// chain when the middleware refuses the request.
func Gin(g Guards) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(gatehousegin.Wrap(g.Outer))
	api := e.Group("/api/v1", gatehousegin.Wrap(g.Auth))
	api.GET("/whoami", gin.WrapF(Whoami))
	api.GET("/orders", gatehousegin.Wrap(g.ReadOrders), gin.WrapF(Orders))
	return e
}
