package scopes

import (
	"slices"
)

// Scopes returns every scope named by the route table (Config.Routes), in
// the All and Any lists of its rules, sorted and without duplicates: the
// scopes a client may need to request, for the scopes_supported member of
// protected resource metadata (RFC 9728 §2, bearer.ResourceMetadata).
//
// A "prefix:*" scope in a rule is listed as written: with Config.Wildcards
// it is still a scope the caller must be granted (itself or a broader
// wildcard), so a client can request it. The keys and values of
// Config.Implies are not listed unless a rule names them: a scope that
// only implies others (an "admin", say) is often one the resource does not
// advertise; append it when it does. Scopes enforced with
// [Enforcer.Require], [Enforcer.Any] or [Enforcer.Enforce] outside the
// table are not known to the Enforcer and are not listed either.
//
// Scopes returns nil when the table names no scope. The slice is the
// caller's own.
func (e *Enforcer) Scopes() []string {
	var out []string
	for _, rule := range e.cfg.Routes {
		out = append(out, rule.All...)
		out = append(out, rule.Any...)
	}
	slices.Sort(out)
	return slices.Clip(slices.Compact(out))
}
