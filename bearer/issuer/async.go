package issuer

import "sync"

// async starts f in a goroutine of its own and returns the function that
// waits for it and returns its error (as often as called; what f wrote is
// visible once it returned): the issuer sends independent store calls at
// once this way, so that a request waits for one round trip to the stores
// instead of one per call.
func async(f func() error) func() error {
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = f()
	}()
	return sync.OnceValue(func() error {
		<-done
		return err
	})
}
