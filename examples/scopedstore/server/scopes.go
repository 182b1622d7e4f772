package server

import "slices"

// The eleven scopes of seed 004, in the order its documentation lists them.
const (
	ProductsRead   = "products:read"
	ProductsWrite  = "products:write"
	OrdersRead     = "orders:read"
	OrdersWrite    = "orders:write"
	CustomersRead  = "customers:read"
	CustomersWrite = "customers:write"
	AnalyticsRead  = "analytics:read"
	WebhooksRead   = "webhooks:read"
	WebhooksWrite  = "webhooks:write"
	SettingsRead   = "settings:read"
	SettingsWrite  = "settings:write"
)

// A ScopeInfo is one API scope and what it grants, as seed 004 describes it.
type ScopeInfo struct {
	Name        string
	Description string
}

var allScopes = []ScopeInfo{
	{ProductsRead, "View products and inventory"},
	{ProductsWrite, "Create, update, delete products"},
	{OrdersRead, "View order details"},
	{OrdersWrite, "Fulfill orders, update status"},
	{CustomersRead, "View customer profiles"},
	{CustomersWrite, "Update customer information"},
	{AnalyticsRead, "Access revenue and sales data"},
	{WebhooksRead, "View webhook endpoints"},
	{WebhooksWrite, "Manage webhook endpoints"},
	{SettingsRead, "View store settings"},
	{SettingsWrite, "Update store settings"},
}

// Scopes returns the eleven scopes with their descriptions, in seed 004's
// order. The slice is a fresh copy.
func Scopes() []ScopeInfo { return slices.Clone(allScopes) }

// ScopeNames returns the names of the eleven scopes, in seed 004's order.
func ScopeNames() []string {
	out := make([]string, len(allScopes))
	for i, s := range allScopes {
		out[i] = s.Name
	}
	return out
}

// ReadOnlyScopes returns the six ":read" scopes.
func ReadOnlyScopes() []string {
	return []string{ProductsRead, OrdersRead, CustomersRead, AnalyticsRead, WebhooksRead, SettingsRead}
}

// knownScope reports whether s is one of the eleven scopes.
func knownScope(s string) bool {
	return slices.ContainsFunc(allScopes, func(i ScopeInfo) bool { return i.Name == s })
}
