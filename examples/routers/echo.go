package main

import (
	"net/http"

	"github.com/labstack/echo/v4"

	gatehouseecho "github.com/gatehouse-go/gatehouse/adapters/echo"
)

// Echo serves the API on echo. Each gatehouse middleware goes through
// gatehouseecho.Wrap, which never calls the next echo handler when the
// middleware refuses the request.
func Echo(g Guards) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(gatehouseecho.Wrap(g.Outer))
	api := e.Group("/api/v1", gatehouseecho.Wrap(g.Auth))
	api.GET("/whoami", echo.WrapHandler(http.HandlerFunc(Whoami)))
	api.GET("/orders", echo.WrapHandler(http.HandlerFunc(Orders)), gatehouseecho.Wrap(g.ReadOrders))
	return e
}
