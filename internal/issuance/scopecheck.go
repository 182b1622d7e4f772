package issuance

import (
	"fmt"

	"github.com/gatehouse-go/gatehouse"
)

// CheckScopes returns an error wrapping gatehouse.ErrMalformedScope when one of scopes
// is not a scope-token. The scope itself is not echoed: it may come from
// a request.
func CheckScopes(scopes []string) error {
	for i, s := range scopes {
		if !gatehouse.ValidScope(s) {
			return fmt.Errorf("%w (scope #%d: empty, or holding a space, '\"', '\\\\', a control or non-ASCII character)", gatehouse.ErrMalformedScope, i+1)
		}
	}
	return nil
}
