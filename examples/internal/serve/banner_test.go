package serve_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
)

// writes records each Write it gets.
type writes []string

func (w *writes) Write(p []byte) (int, error) {
	*w = append(*w, string(p))
	return len(p), nil
}

// TestBanner: a banner printed in several writes reaches the writer in
// one; a banner whose printing fails does not reach it at all.
func TestBanner(t *testing.T) {
	var w writes
	err := serve.Banner(&w, func(w io.Writer) error {
		fmt.Fprintln(w, "x listening on http://127.0.0.1:1")
		fmt.Fprintln(w, "  export TOKEN=t")
		return nil
	})
	assert.NoError(t, err)
	assert.Equal(t, writes{"x listening on http://127.0.0.1:1\n  export TOKEN=t\n"}, w)

	boom := errors.New("boom")
	w = nil
	err = serve.Banner(&w, func(w io.Writer) error {
		fmt.Fprintln(w, "x listening on http://127.0.0.1:1")
		return boom
	})
	assert.ErrorIs(t, err, boom)
	assert.Empty(t, w)
}
