// Package median keeps the last samples of a duration and returns their
// median, for benchmarks that report the typical request beside the mean
// (a stall of a shared machine, or a collection, moves the mean but not
// the median). Tests and benchmarks only.
package median

import (
	"slices"
	"time"
)

// Window is how many samples a Median keeps: the last Window added.
const Window = 1 << 16

// A Median keeps the last Window samples, in room allocated by New so that
// a timed loop that adds to it allocates nothing.
type Median struct {
	v []float64
	n int
}

// New returns an empty Median.
func New() *Median { return &Median{v: make([]float64, 0, Window)} }

// Add records d.
func (m *Median) Add(d time.Duration) {
	if len(m.v) < cap(m.v) {
		m.v = append(m.v, float64(d))
	} else {
		m.v[m.n%len(m.v)] = float64(d)
	}
	m.n++
}

// Value returns the median of the samples kept, in nanoseconds (the upper
// middle one of an even number), or 0 for none.
func (m *Median) Value() float64 {
	if len(m.v) == 0 {
		return 0
	}
	s := slices.Clone(m.v)
	slices.Sort(s)
	return s[len(s)/2]
}
