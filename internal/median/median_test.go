package median

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	m := New()
	assert.Zero(t, m.Value())
	for _, d := range []time.Duration{5, 1, 9, 3} {
		m.Add(d)
	}
	assert.Equal(t, 5.0, m.Value(), "the upper middle of an even number")
	m.Add(2)
	assert.Equal(t, 3.0, m.Value())
	// Past Window samples, the oldest are replaced.
	for range Window {
		m.Add(7)
	}
	assert.Equal(t, 7.0, m.Value())
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { m.Add(1) }))
}
