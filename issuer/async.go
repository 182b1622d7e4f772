package issuer

import (
	"fmt"
	"runtime/debug"
)

// A pending is a store call running in a goroutine of its own: the issuer
// sends independent store calls at once this way, so that a request waits
// for one round trip to the stores instead of one per call.
type pending struct {
	done  chan struct{}
	err   error
	panic *storePanic // what the call panicked with, nil if it returned
}

// async starts f. A panic in f does not end the process, as a panic in a
// goroutine of its own would: wait panics with it on the request's
// goroutine, where net/http (or envelope.Recover) handles it as it handles
// a panic in the handler.
func async(f func() error) *pending {
	p := &pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer func() {
			if v := recover(); v != nil {
				p.panic = &storePanic{value: v, stack: debug.Stack()}
			}
		}()
		p.err = f()
	}()
	return p
}

// wait waits for the call and returns its error; what the call wrote is
// visible once wait returned. It may be called any number of times. If
// the call panicked, wait panics with a *storePanic holding the value and
// the call's stack.
func (p *pending) wait() error {
	<-p.done
	if p.panic != nil {
		panic(p.panic)
	}
	return p.err
}

// A storePanic is a panic of a store call the issuer made in a goroutine
// of its own, raised again on the request's goroutine.
type storePanic struct {
	value any
	stack []byte
}

func (s *storePanic) Error() string {
	return fmt.Sprintf("issuer: a store call panicked: %v\n\n%s", s.value, s.stack)
}

// Unwrap returns the value the call panicked with when it is an error.
func (s *storePanic) Unwrap() error {
	err, _ := s.value.(error)
	return err
}
