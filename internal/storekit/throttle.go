package storekit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// A Throttle counts attempts per key and refuses at limit, like
// ratelimit.FailureThrottle: Begin counts, Succeed takes one back, Reset
// forgets the key.
type Throttle struct {
	mu    sync.Mutex
	limit int
	fails map[string]int
	Err   error // when set, every call fails with it
}

// NewThrottle returns a Throttle refusing a key at limit.
func NewThrottle(limit int) *Throttle { return &Throttle{limit: limit, fails: map[string]int{}} }

// Begin counts an attempt against key, or refuses it.
func (t *Throttle) Begin(_ context.Context, key string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.Err != nil {
		return "", t.Err
	}
	if t.fails[key] >= t.limit {
		return "", envelope.ErrTooManyRequests.WithMessage("Too many failed attempts").WithRetryAfter(30 * time.Second)
	}
	t.fails[key]++
	return key, nil
}

// Succeed takes back attempt, key's.
func (t *Throttle) Succeed(_ context.Context, key, attempt string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.Err != nil {
		return t.Err
	}
	if attempt != key {
		return errors.New("throttle: Succeed with another key's attempt")
	}
	if t.fails[key]--; t.fails[key] <= 0 {
		delete(t.fails, key)
	}
	return nil
}

// Reset forgets key's attempts.
func (t *Throttle) Reset(_ context.Context, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
	return nil
}

// Count returns key's counted attempts.
func (t *Throttle) Count(key string) int { t.mu.Lock(); defer t.mu.Unlock(); return t.fails[key] }
