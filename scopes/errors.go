package scopes

import "errors"

// Sentinel causes wrapped by the *envelope.Error values this package
// returns, for errors.Is checks on the server side. They are never rendered.
var (
	// ErrNoPrincipal means the request reached scope enforcement without an
	// authenticated Principal in its context (401).
	ErrNoPrincipal = errors.New("scopes: no authenticated principal")
	// ErrInsufficientScope means the Principal lacks a required scope (403).
	ErrInsufficientScope = errors.New("scopes: insufficient scope")
	// ErrRouteNotListed means Config.Routes is set and the request matched
	// none of its patterns while Config.AllowUnlisted is false (403).
	ErrRouteNotListed = errors.New("scopes: route not listed")
)
