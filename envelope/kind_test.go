package envelope_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// TestKindsAreImmutable: a Kind is a constant; every *Error handed out
// for it is a new copy, so changing one changes neither the kind nor the
// next copy, and kinds and their Errors match under errors.Is both ways.
func TestKindsAreImmutable(t *testing.T) {
	e1 := envelope.As(envelope.ErrNotFound)
	e1.Message = "changed"
	e2 := envelope.As(envelope.ErrNotFound)
	assert.NotSame(t, e1, e2)
	assert.Equal(t, "Not found", e2.Message, "As hands out a new Error each time")
	assert.Equal(t, "Not found", envelope.ErrNotFound.Message())

	e := envelope.ErrNotFound.WithMessage("No such order")
	assert.ErrorIs(t, e, envelope.ErrNotFound)
	assert.NotErrorIs(t, e, envelope.ErrForbidden)
	assert.ErrorIs(t, envelope.ErrNotFound, e, "a kind matches its Errors")
	assert.NotErrorIs(t, envelope.ErrNotFound, envelope.ErrForbidden.WithMessage("x"))
	wrapped := fmt.Errorf("wrapped: %w", envelope.ErrNotFound)
	assert.ErrorIs(t, wrapped, envelope.ErrNotFound)
	assert.Equal(t, 404, envelope.As(wrapped).Status)
	assert.Equal(t, "envelope: NOT_FOUND: Not found", envelope.ErrNotFound.Error())
	assert.Equal(t, envelope.As(envelope.ErrNotFound).Error(), envelope.ErrNotFound.Error())
	assert.Equal(t, 500, envelope.Kind(200).Status(), "a Kind outside the catalogue is ErrInternal")
}

// TestBuiltinStylesAreConstants: the built-in styles are constants, and a
// BuiltinStyle outside them renders as Nested.
func TestBuiltinStylesAreConstants(t *testing.T) {
	const flat envelope.BuiltinStyle = envelope.Flat
	rec := httptest.NewRecorder()
	envelope.WriteStyle(rec, nil, flat, envelope.ErrForbidden)
	assert.Equal(t, `{"success":false,"error":"Forbidden","message":"Forbidden"}`, rec.Body.String())
	rec = httptest.NewRecorder()
	envelope.WriteStyle(rec, nil, envelope.BuiltinStyle(99), envelope.ErrForbidden)
	assert.Equal(t, `{"error":{"name":"ForbiddenError","code":"FORBIDDEN","message":"Forbidden"}}`, rec.Body.String())
}
