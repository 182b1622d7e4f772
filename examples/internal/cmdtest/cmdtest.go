// Package cmdtest runs an example's command in-process for its tests: on a
// loopback port, with its output captured, until the test ends.
package cmdtest

import (
	"context"
	"io"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/logbuf"
)

// A Buffer is a bytes.Buffer safe for concurrent use: the command writes
// to it while the test reads it.
type Buffer = logbuf.Buffer

// A Command is a command started with [Start].
type Command struct {
	// Base is the URL the command printed it listens on, such as
	// "http://127.0.0.1:41234".
	Base string
	// Stdout and Stderr hold the command's output so far.
	Stdout, Stderr *Buffer

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

var listening = regexp.MustCompile(`listening on (https?://127\.0\.0\.1:\d+)`)

// Start runs run in a goroutine and waits, for at most 10 seconds, until
// its stdout says "listening on http(s)://127.0.0.1:<port>" (run is
// expected to listen on "127.0.0.1:0"). The command is stopped with
// [Command.Stop] when the test ends, if the test has not stopped it.
func Start(t testing.TB, run func(ctx context.Context, stdout, stderr io.Writer) error) *Command {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Command{Stdout: &Buffer{}, Stderr: &Buffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { c.done <- run(ctx, c.Stdout, c.Stderr) }()
	t.Cleanup(func() { c.Stop(t) })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(c.Stdout.String()); m != nil {
			c.Base = m[1]
			return c
		}
		select {
		case err := <-c.done:
			c.done <- err // for Stop
			t.Fatalf("the command ended before listening: %v\nstdout: %s\nstderr: %s", err, c.Stdout, c.Stderr)
		default:
		}
	}
	t.Fatalf("the command did not say it listens within 10s\nstdout: %s\nstderr: %s", c.Stdout, c.Stderr)
	return nil
}

// Stop cancels the command's context and fails t unless the command
// returns nil within 10 seconds. Later calls do nothing.
func (c *Command) Stop(t testing.TB) {
	t.Helper()
	c.once.Do(func() {
		c.cancel()
		select {
		case err := <-c.done:
			if err != nil {
				t.Errorf("the command returned %v after cancellation", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the command did not return within 10s of cancellation")
		}
	})
}
