package otelgatehouse

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// maxCachedSets bounds an attrCache. The keys are library constants
// (sources, actions, reasons, statuses), so a few dozen is typical; past
// the bound, new combinations share one overflow entry, whose attribute
// is otel.metric.overflow=true, as the SDK does past its cardinality
// limit.
const maxCachedSets = 1024

// overflowAttr marks the entry of the combinations past maxCachedSets.
var overflowAttr = attribute.Bool("otel.metric.overflow", true)

// An attrKey is what an attrCache is keyed by: a comparable value that
// knows its attributes.
type attrKey interface {
	comparable
	attributes() []attribute.KeyValue
}

// attrOpts are the measurement options of one attribute set, built once:
// passing them with opts... allocates nothing. n counts what is measured
// under the set when an observable instrument reports it.
type attrOpts struct {
	set  attribute.Set
	rec  []metric.RecordOption
	obs  []metric.ObserveOption
	n    atomic.Int64
	fast atomic.Pointer[fastEntry] // the set's decisionCache slot entry, made once
}

func newAttrOpts(kvs []attribute.KeyValue) *attrOpts {
	set := attribute.NewSet(kvs...)
	o := metric.WithAttributeSet(set)
	return &attrOpts{set: set, rec: []metric.RecordOption{o}, obs: []metric.ObserveOption{o}}
}

// An attrCache maps keys to their prebuilt attrOpts. Reads are one atomic
// load and one map lookup, without a lock; a new key copies the map.
type attrCache[K attrKey] struct {
	m        atomic.Pointer[map[K]*attrOpts]
	mu       sync.Mutex
	overflow *attrOpts // past maxCachedSets; nil until then
}

// get returns the options of k, building and caching them on first use.
func (c *attrCache[K]) get(k K) *attrOpts {
	if m := c.m.Load(); m != nil {
		if o, ok := (*m)[k]; ok {
			return o
		}
	}
	return c.add(k)
}

func (c *attrCache[K]) add(k K) *attrOpts {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[K]*attrOpts
	if m := c.m.Load(); m != nil {
		old = *m
	}
	if o, ok := old[k]; ok {
		return o
	}
	if len(old) >= maxCachedSets {
		if c.overflow == nil {
			c.overflow = newAttrOpts([]attribute.KeyValue{overflowAttr})
		}
		return c.overflow
	}
	o := newAttrOpts(k.attributes())
	next := make(map[K]*attrOpts, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = o
	c.m.Store(&next)
	return o
}

// each calls f with every entry, the overflow entry included.
func (c *attrCache[K]) each(f func(*attrOpts)) {
	if m := c.m.Load(); m != nil {
		for _, o := range *m {
			f(o)
		}
	}
	c.mu.Lock()
	overflow := c.overflow
	c.mu.Unlock()
	if overflow != nil {
		f(overflow)
	}
}
