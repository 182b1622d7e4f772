// Package logbuf is a log sink for tests: a buffer that goroutines of the
// code under test may write while the test reads it.
package logbuf

import (
	"strings"
	"sync"
)

// A Buffer collects writes; it is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
