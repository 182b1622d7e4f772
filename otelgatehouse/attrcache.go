package otelgatehouse

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// maxCachedSets bounds an attrCache. The keys are library constants
// (sources, actions, reasons, statuses), so a few dozen is typical; past
// the bound, new combinations are measured with attributes built per call.
const maxCachedSets = 1024

// An attrKey is what an attrCache is keyed by: a comparable value that
// knows its attributes.
type attrKey interface {
	comparable
	attributes() []attribute.KeyValue
}

// attrOpts are the measurement options of one attribute set, built once:
// passing them with opts... allocates nothing.
type attrOpts struct {
	set attribute.Set
	add []metric.AddOption
	rec []metric.RecordOption
}

func newAttrOpts(kvs []attribute.KeyValue) *attrOpts {
	set := attribute.NewSet(kvs...)
	o := metric.WithAttributeSet(set)
	return &attrOpts{set: set, add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
}

// An attrCache maps keys to their prebuilt attrOpts. Reads are one atomic
// load and one map lookup, without a lock; a new key copies the map.
type attrCache[K attrKey] struct {
	m  atomic.Pointer[map[K]*attrOpts]
	mu sync.Mutex
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
	o := newAttrOpts(k.attributes())
	if len(old) >= maxCachedSets {
		return o
	}
	next := make(map[K]*attrOpts, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = o
	c.m.Store(&next)
	return o
}
