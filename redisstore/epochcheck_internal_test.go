package redisstore

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestOwnSlot: the slot a master's epoch record is checked in is one its
// "myself" line serves, not one being moved.
func TestOwnSlot(t *testing.T) {
	const others = "253c6c53f83af3b31e475b5122082f0fb73adbe4 127.0.0.1:7002@17002 master - 0 1796576452148 3 connected 10923-16383\n" +
		"71f4c031c3745b35b773d37d8f9e3bad0badbe3f 127.0.0.1:7005@17005 slave 89f012bf2dafee06e2216de66efad93b99ea70f9 0 1796576452000 2 connected\n"
	for _, tc := range []struct {
		myself string
		slot   int
		ok     bool
	}{
		{"3139ef53664433c655d9141080c952bd58e6f9f6 127.0.0.1:7000@17000 myself,master - 0 1796576452000 1 connected 0-5460", 0, true},
		{"3139ef53664433c655d9141080c952bd58e6f9f6 127.0.0.1:7000@17000,host.example myself,master - 0 0 1 connected 7 100-200", 7, true},
		{"3139ef53664433c655d9141080c952bd58e6f9f6 127.0.0.1:7000@17000 master,myself - 0 0 1 connected 0-5 [0->-253c6c53f83af3b31e475b5122082f0fb73adbe4] [1-<-253c6c53f83af3b31e475b5122082f0fb73adbe4]", 2, true},
		{"3139ef53664433c655d9141080c952bd58e6f9f6 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 3 [3->-253c6c53f83af3b31e475b5122082f0fb73adbe4]", 0, false},
		{"3139ef53664433c655d9141080c952bd58e6f9f6 127.0.0.1:7000@17000 myself,master - 0 0 1 connected", 0, false},
		{"3139ef53664433c655d9141080c952bd58e6f9f6 127.0.0.1:7000@17000 myself,slave 253c6c53f83af3b31e475b5122082f0fb73adbe4 0 0 1 connected", 0, false},
		{"3139ef53664433c655d9141080c952bd58e6f9f6 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 16384 x-y 99", 99, true},
	} {
		slot, ok := ownSlot(others + tc.myself + "\n")
		assert.Equal(t, tc.ok, ok, tc.myself)
		assert.Equal(t, tc.slot, slot, tc.myself)
	}
	_, ok := ownSlot(others)
	assert.False(t, ok, "no myself line")
}

// FuzzOwnSlot: any reply gives a slot of the cluster, or none, without
// panicking.
func FuzzOwnSlot(f *testing.F) {
	f.Add("id 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [5->-x]\n")
	f.Add("id a myself - 0 0 1 connected 16383-0 -1 [")
	f.Fuzz(func(t *testing.T, nodes string) {
		if slot, ok := ownSlot(nodes); ok && (slot < 0 || slot >= slotCount) {
			t.Fatalf("slot %d out of range", slot)
		}
	})
}
