package scopes

import "github.com/gatehouse-go/gatehouse/envelope"

// A term is one required scope and, when implications or wildcards are
// configured, the other granted scopes that satisfy it.
type term struct {
	scope string
	alt   []string
}

// grantedBy reports whether the granted scopes satisfy t. The direct
// comparison comes first so that exact matching costs one pass.
func (t *term) grantedBy(granted []string) bool {
	for _, g := range granted {
		if g == t.scope {
			return true
		}
	}
	for _, a := range t.alt {
		for _, g := range granted {
			if g == a {
				return true
			}
		}
	}
	return false
}

// A requirement is a compiled Rule: all of all, and one of any when any is
// not empty. Its 403 errors are built once, at construction.
type requirement struct {
	all    []term
	allErr []*envelope.Error // allErr[i] names all[i]
	any    []term
	anyErr *envelope.Error
}

// check returns nil when granted satisfies q, else the prebuilt 403 naming
// the first missing scope.
func (q *requirement) check(granted []string) *envelope.Error {
	for i := range q.all {
		if !q.all[i].grantedBy(granted) {
			return q.allErr[i]
		}
	}
	if len(q.any) == 0 {
		return nil
	}
	for i := range q.any {
		if q.any[i].grantedBy(granted) {
			return nil
		}
	}
	return q.anyErr
}
