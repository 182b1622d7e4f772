package redisstore

import (
	"strconv"
	"strings"
	"sync"
)

// slotCount is the number of hash slots of a Redis Cluster.
const slotCount = 16384

// keySlot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of
// its hash tag — the text between the first "{" and the first "}" after
// it, when that text is not empty — or of the whole key, modulo 16384.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key)) % slotCount
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the
// checksum Redis Cluster hashes keys with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

var (
	slotTagsOnce sync.Once
	slotTags     []string // slot → a short hash tag that hashes to it
)

// slotTag returns a short string whose hash slot is slot, so that a key
// tagged with it lands in the same slot as any other key of that slot.
// The table is built on first use (about 160,000 checksums of a few
// bytes each) and shared by every Store.
func slotTag(slot int) string {
	slotTagsOnce.Do(func() {
		tags := make([]string, slotCount)
		for n, left := int64(0), slotCount; left > 0; n++ {
			t := strconv.FormatInt(n, 36)
			if s := int(crc16(t)) % slotCount; tags[s] == "" {
				tags[s] = t
				left--
			}
		}
		slotTags = tags
	})
	return slotTags[slot]
}
