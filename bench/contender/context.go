package contender

import (
	"context"
	"net/http"
)

type keyIDKey struct{}

func withKeyID(r *http.Request, id string) context.Context {
	return context.WithValue(r.Context(), keyIDKey{}, id)
}
