package redisstore

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeySlotMatchesRedis(t *testing.T) {
	// The values Redis's CLUSTER KEYSLOT gives for these keys.
	for key, want := range map[string]int{
		"123456789":            12739, // CRC16/XMODEM check value 0x31C3
		"foo":                  12182,
		"{user1000}.following": 3443,
		"{user1000}.followers": 3443,
		"foo{}{bar}":           8363, // an empty tag hashes the whole key
		"foo{{bar}}zap":        4015, // the tag is "{bar"
		"foo{bar}{zap}":        5061, // the first tag counts: "bar"
	} {
		require.Equal(t, want, keySlot(key), key)
	}
}

func TestSlotTagCoversEverySlot(t *testing.T) {
	for s := range slotCount {
		tag := slotTag(s)
		require.NotEmpty(t, tag)
		require.Equal(t, s, keySlot("x:{"+tag+"}:y"), "slot %d tag %q", s, tag)
	}
}
