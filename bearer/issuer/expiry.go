package issuer

import "time"

// expiryQueue is a min-heap of keys by expiry: the memory stores push one
// entry per record they hold and pop the expired ones before every write,
// so that expired records are forgotten in O(log n) each and a full store
// knows at once whether anything can be dropped. It is not safe for
// concurrent use; the stores call it under their mutex.
type expiryQueue[K comparable] []expiryEntry[K]

type expiryEntry[K comparable] struct {
	at  time.Time
	key K
}

// push adds key expiring at at.
func (q *expiryQueue[K]) push(key K, at time.Time) {
	*q = append(*q, expiryEntry[K]{at: at, key: key})
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].at.Before(h[p].at) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// popExpired removes every entry whose time is not after now, earliest
// first, and calls drop with each.
func (q *expiryQueue[K]) popExpired(now time.Time, drop func(key K, at time.Time)) {
	for len(*q) > 0 && !now.Before((*q)[0].at) {
		e := (*q)[0]
		q.popMin()
		drop(e.key, e.at)
	}
}

// popMin removes the earliest entry; q is not empty.
func (q *expiryQueue[K]) popMin() {
	h := *q
	last := len(h) - 1
	h[0] = h[last]
	h[last] = expiryEntry[K]{} // let the key's memory go
	h = h[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(h) && h[l].at.Before(h[small].at) {
			small = l
		}
		if r := l + 1; r < len(h) && h[r].at.Before(h[small].at) {
			small = r
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	*q = h
}
