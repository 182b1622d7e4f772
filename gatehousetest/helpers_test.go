package gatehousetest_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/gatehousetest"
)

// exampleT stands in for a test's *testing.T in the runnable examples,
// which have none: it runs the cleanups when the example ends and panics
// on Fatalf.
type exampleT struct{ cleanups []func() }

func newExampleT() *exampleT                          { return &exampleT{} }
func (t *exampleT) Helper()                           {}
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// fatalTB records a Fatalf and ends its goroutine, as testing.T does.
type fatalTB struct {
	mu       sync.Mutex
	msg      string
	cleanups []func()
}

func (t *fatalTB) Helper() {}
func (t *fatalTB) Fatalf(format string, args ...any) {
	t.mu.Lock()
	t.msg = fmt.Sprintf(format, args...)
	t.mu.Unlock()
	runtime.Goexit()
}
func (t *fatalTB) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

// fatal runs f with a TB of its own and returns the message f failed
// with; it fails the test if f did not fail. f's cleanups run before it
// returns.
func fatal(t *testing.T, f func(tb gatehousetest.TB)) string {
	t.Helper()
	tb := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(tb)
	}()
	<-done
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	require.NotEmpty(t, tb.msg, "the kit did not fail the test")
	return tb.msg
}
