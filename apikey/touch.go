package apikey

import (
	"sync"
	"time"
)

// maxTouchSlots bounds the key IDs a touchSlots remembers; past it, the
// attempts older than an interval are forgotten (or, if none is, all).
const maxTouchSlots = 1 << 16

// touchSlots remembers when an Authenticator last tried to record the use
// of each key, so that it writes Record.LastUsed at most once per key per
// TouchInterval — whether the write succeeded or not, and however many
// requests with a stale LastUsed arrive together. A store that fails its
// writes (a read-only replica, an outage) is therefore not retried on
// every request. It is consulted only when the record's LastUsed is
// already stale, never on the common path.
type touchSlots struct {
	mu   sync.Mutex
	last map[string]time.Time // key ID → the last attempt
}

// claim reports whether the use of key id at now is to be written, and if
// so records the attempt: no attempt for id was made in the last interval.
func (t *touchSlots) claim(id string, now time.Time, interval time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.last[id]; ok && now.Compare(prev.Add(interval)) < 0 {
		return false
	}
	if t.last == nil {
		t.last = make(map[string]time.Time)
	}
	if len(t.last) >= maxTouchSlots {
		for k, prev := range t.last {
			if now.Compare(prev.Add(interval)) >= 0 {
				delete(t.last, k)
			}
		}
		if len(t.last) >= maxTouchSlots {
			clear(t.last)
		}
	}
	t.last[id] = now
	return true
}
