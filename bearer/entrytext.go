package bearer

import (
	"strings"
	"unsafe"
)

// entryText is the number of bytes of its Principal's strings a cache
// entry holds in place (a subject, a token id and a few scopes); longer
// strings share one buffer of their own. It brings the entry to 512
// bytes, one of the allocator's size classes.
const entryText = 64

// reserve makes room in e for n bytes of strings to keep: in place when
// they fit, else in one new buffer. It is called once, before keep.
func (e *cacheEntry) reserve(n int) {
	if n <= len(e.textIn) {
		e.text = e.textIn[:0]
	} else {
		e.text = make([]byte, 0, n)
	}
}

// keep returns a copy of s that e holds, in the room reserve made, or a
// string of its own when that room is used up. The bytes kept are never
// written again, so the string may share them.
func (e *cacheEntry) keep(s string) string {
	if len(s) == 0 {
		return ""
	}
	n := len(e.text)
	if len(s) > cap(e.text)-n {
		return strings.Clone(s)
	}
	e.text = append(e.text, s...)
	return unsafe.String(&e.text[n], len(s))
}
