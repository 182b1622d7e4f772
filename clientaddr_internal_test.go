package gatehouse

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRemoteAddrFastPath: the IPv4 fast path of RemoteAddr answers as the
// full parse does.
func TestRemoteAddrFastPath(t *testing.T) {
	for _, remote := range []string{
		"203.0.113.9:1", "203.0.113.9:abc", "203.0.113.9:", "203.0.113.9", ":80", "127.1:80", "010.0.0.1:80",
		"[2001:db8::1]:80", "[::ffff:1.2.3.4]:80", "[fe80::1%eth0]:80", "2001:db8::1", "@", "", "a:b:c",
	} {
		t.Run(remote, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = remote
			assert.Equal(t, parseRemoteAddr(remote), RemoteAddr(r))
		})
	}
}
