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
	all []term
	any []term
	// refusals[i] names all[i]; the last one, when any is not empty,
	// names any.
	refusals []refusal
}

// A refusal is a prebuilt error, and the same error prepared for writing
// in the Enforcer's style.
type refusal struct {
	err      *envelope.Error
	prepared *envelope.Prepared
}

// unmet returns nil when granted satisfies q, else the refusal naming the
// first missing scope.
func (q *requirement) unmet(granted []string) *refusal {
	for i := range q.all {
		if !q.all[i].grantedBy(granted) {
			return &q.refusals[i]
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
	return &q.refusals[len(q.all)]
}
