package issuance

import (
	"errors"
	"fmt"

	"github.com/gatehouse-go/gatehouse"
)

// ErrMalformedScope is returned (wrapped, naming the scope's position) when
// a session, an account or a client carries a scope that is not one RFC
// 6749 §3.3 scope-token ([gatehouse.ValidScope]): empty, or holding a
// space, a '"', a '\\', a control character or a non-ASCII byte. Scopes
// become the space-separated "scope" claim, so "read admin" would be read
// back as two scopes; it is refused, never split nor dropped.
var ErrMalformedScope = errors.New("scope is not one RFC 6749 scope-token")

// CheckScopes returns an error wrapping ErrMalformedScope when one of scopes
// is not a scope-token. The scope itself is not echoed: it may come from
// a request.
func CheckScopes(scopes []string) error {
	for i, s := range scopes {
		if !gatehouse.ValidScope(s) {
			return fmt.Errorf("%w (scope #%d: empty, or holding a space, '\"', '\\\\', a control or non-ASCII character)", ErrMalformedScope, i+1)
		}
	}
	return nil
}
