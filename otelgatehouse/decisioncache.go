package otelgatehouse

import (
	"sync/atomic"
	"unsafe"

	"github.com/gatehouse-go/gatehouse"
)

// fastSlots is the size of a decisionCache's direct-mapped fast path.
const fastSlots = 256

// A decisionCache finds the counter entry of a decision. Hashing the
// decision's strings dominates a lookup by content, so a small
// direct-mapped table sits in front of it, indexed by the strings'
// addresses (the middleware report their sources, actions and reasons as
// constants, one address each) and checked by content, which costs a
// pointer comparison per string when the addresses match. A decision
// missing from its slot is looked up by content and takes the slot.
type decisionCache struct {
	byContent attrCache[decisionKey]
	slots     [fastSlots]atomic.Pointer[fastEntry]
}

// A fastEntry is a slot's content: a decision and its counter entry.
type fastEntry struct {
	key  decisionKey
	opts *attrOpts
}

// get returns the counter entry of e's decision.
func (c *decisionCache) get(e *gatehouse.Event) *attrOpts {
	h := uintptr(unsafe.Pointer(unsafe.StringData(e.Source))) ^
		uintptr(unsafe.Pointer(unsafe.StringData(e.Action)))>>3 ^
		uintptr(unsafe.Pointer(unsafe.StringData(string(e.Reason))))>>6 ^
		uintptr(len(e.Outcome))<<2 ^ uintptr(e.Status)<<4
	slot := &c.slots[(h^h>>11)%fastSlots]
	if f := slot.Load(); f != nil && f.key.status == e.Status && f.key.source == e.Source &&
		f.key.reason == e.Reason && f.key.action == e.Action && f.key.outcome == e.Outcome {
		return f.opts
	}
	return c.miss(slot, decisionKey{e.Source, e.Action, e.Outcome, e.Reason, e.Status})
}

// miss looks k up by content and gives its entry the slot.
func (c *decisionCache) miss(slot *atomic.Pointer[fastEntry], k decisionKey) *attrOpts {
	o := c.byContent.get(k)
	f := o.fast.Load()
	if f == nil {
		f = &fastEntry{key: k, opts: o}
		if !o.fast.CompareAndSwap(nil, f) {
			f = o.fast.Load()
		}
	}
	if f.key != k {
		// The overflow entry, which every combination past the bound
		// shares: its fast entry names the first of them only.
		f = &fastEntry{key: k, opts: o}
	}
	slot.Store(f)
	return o
}

// each calls f with every counter entry.
func (c *decisionCache) each(f func(*attrOpts)) { c.byContent.each(f) }
