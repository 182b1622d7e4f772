package compact

import (
	"encoding/base64"
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guarded returns n writable bytes that end where an unreadable page
// begins, so that reading or writing one byte past them faults.
func guarded(t *testing.T, n int) []byte {
	t.Helper()
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	return mem[page-n : page : page]
}

// TestGuardPages: AppendDecode, Alphabet and CutClean read no byte past a
// segment and AppendDecode writes none past the room it was given, for
// every length to 300, segments of the alphabet and with a stray byte (and
// for CutClean, with two dots): both the segment and the output end at an
// unreadable page.
func TestGuardPages(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for n := range 301 {
		for trial := range 8 {
			raw := make([]byte, n)
			for i := range raw {
				raw[i] = byte(rnd.Uint32())
			}
			enc := []byte(base64.RawURLEncoding.EncodeToString(raw))
			enc = enc[:min(len(enc), n)]
			if trial%4 == 3 && len(enc) > 0 {
				enc[rnd.IntN(len(enc))] = byte(rnd.Uint32())
			}
			seg := guarded(t, len(enc))
			copy(seg, enc)
			s := unsafe.String(unsafe.SliceData(seg), len(seg))
			want, err := Encoding.DecodeString(string(enc))
			out := guarded(t, Encoding.DecodedLen(len(enc)))[:0]
			got, ok := AppendDecode(out, s)
			if ok != (err == nil) || ok && string(got) != string(want) {
				t.Fatalf("%q: AppendDecode %x %v, Encoding %x %v", enc, got, ok, want, err)
			}
			if ok && len(got) > 0 && &got[0] != &out[:1][0] {
				t.Fatalf("%q: AppendDecode reallocated", enc)
			}
			Alphabet(s)
			CutClean(s)
			if n >= 2 {
				seg[rnd.IntN(n/2)], seg[n/2+rnd.IntN(n-n/2)] = '.', '.'
				CutClean(s)
			}
		}
	}
}
