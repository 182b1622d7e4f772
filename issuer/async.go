package issuer

// A pending is a store call running in a goroutine of its own: the issuer
// sends independent store calls at once this way, so that a request waits
// for one round trip to the stores instead of one per call.
type pending struct {
	done chan struct{}
	err  error
}

// async starts f.
func async(f func() error) *pending {
	p := &pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = f()
	}()
	return p
}

// wait waits for the call and returns its error; what the call wrote is
// visible once wait returned. It may be called any number of times.
func (p *pending) wait() error {
	<-p.done
	return p.err
}
