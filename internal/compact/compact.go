// Package compact splits a JWS in compact serialization (RFC 7515 §7.1)
// for the packages that verify one: the bearer middleware, the issuer's
// logout and refresh, and the token endpoint's assertions. Each decodes
// the header into its own shape and checks the signature itself; this
// package only does the splitting, the strict base64url and the "typ"
// comparison they share, so that they agree on what a well-formed token
// is.
package compact

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"
	"unsafe"
)

// Encoding decodes one segment as golang-jwt's parser does with
// WithStrictDecoding and without WithPaddingAllowed: base64url without
// padding, with the unused bits of the last character required to be
// zero. It is never modified.
var Encoding = base64.RawURLEncoding.Strict()

// A JWS is a compact JWS split at its dots, with its header decoded. The
// payload and the signature are left encoded, so that a caller can refuse
// the token before paying for them.
type JWS struct {
	Header       []byte // the decoded protected header (JSON, not parsed)
	SigningInput string // header "." payload, as signed
	Payload      string // the payload segment, base64url
	Signature    string // the signature segment, base64url
}

// Cut splits tok into exactly three dot-separated segments, left
// encoded; ok is false for any other number of segments.
func Cut(tok string) (header, payload, signature string, ok bool) {
	h, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return "", "", "", false
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return "", "", "", false
	}
	return h, p, s, true
}

// CutClean cuts tok as Cut does when it finds, reading tok once, that tok
// is base64url text alone: exactly two dots, and every other byte a
// character of the base64url alphabet (RFC 4648 §5, without padding).
// It reports clean false, with empty segments, for any other string and
// wherever it cannot read tok that way: on amd64 with AVX2 it reads 32
// bytes at a time (dotBlocks), and a shorter token, or any token on
// another platform, is never clean. Clean is a fast path's answer, not a
// refusal: a caller checks a token it does not vouch for the long way.
func CutClean(tok string) (header, payload, signature string, clean bool) {
	if !hasBlocks || len(tok) < 32 {
		return "", "", "", false
	}
	i, j, ok := dotBlocks(tok)
	if !ok {
		return "", "", "", false
	}
	return tok[:i], tok[i+1 : j], tok[j+1:], true
}

// AppendDecode appends the decoding of the segment seg with [Encoding] to
// dst and reports whether seg is strict base64url; seg is not copied
// first, and dst is not reallocated when its capacity suffices
// (Encoding.DecodedLen(len(seg)) more bytes). A segment of the alphabet
// alone is decoded here, four characters at a time; any other (with a
// character outside the alphabet, or a line break, which Encoding skips)
// is left to Encoding, so that the result is always Encoding's. On amd64
// with AVX2 the segment is decoded 32 characters at a time first
// (decodeBlocks).
func AppendDecode(dst []byte, seg string) ([]byte, bool) {
	in := seg // what Encoding decodes when this does not
	start := len(dst)
	n := len(seg) * 3 / 4 // Encoding.DecodedLen(len(seg))
	dst = slices.Grow(dst, n)
	out := dst[start : start+n]
	i, o := 0, 0
	if hasBlocks {
		k, ok := decodeBlocks(out, seg)
		if !ok {
			return appendDecodeStd(dst[:start], in)
		}
		i, o = k*32, k*24
	}
	// Eight characters at a time into six bytes, written as a word while
	// the output has two bytes to spare, then four at a time.
	for len(seg)-i >= 8 && len(out)-o >= 8 {
		q := seg[i : i+8]
		v1 := b64d0[q[0]] | b64d1[q[1]] | b64d2[q[2]] | b64d3[q[3]]
		v2 := b64d0[q[4]] | b64d1[q[5]] | b64d2[q[6]] | b64d3[q[7]]
		if (v1|v2)&b64bad != 0 {
			return appendDecodeStd(dst[:start], in)
		}
		binary.BigEndian.PutUint64(out[o:], uint64(v1)<<40|uint64(v2)<<16)
		i, o = i+8, o+6
	}
	for len(seg)-i >= 4 && len(out)-o >= 3 {
		q := seg[i : i+4]
		v := b64d0[q[0]] | b64d1[q[1]] | b64d2[q[2]] | b64d3[q[3]]
		if v&b64bad != 0 {
			return appendDecodeStd(dst[:start], in)
		}
		w := (*[3]byte)(out[o : o+3])
		w[0], w[1], w[2] = byte(v>>16), byte(v>>8), byte(v)
		i, o = i+4, o+3
	}
	seg, out = seg[i:], out[o:]
	switch len(seg) {
	case 0:
	case 2:
		v := b64d0[seg[0]] | b64d1[seg[1]]
		if v&b64bad != 0 || v&0xFFFF != 0 || len(out) < 1 {
			return appendDecodeStd(dst[:start], in)
		}
		out[0] = byte(v >> 16)
	case 3:
		v := b64d0[seg[0]] | b64d1[seg[1]] | b64d2[seg[2]]
		if v&b64bad != 0 || v&0xFF != 0 || len(out) < 2 {
			return appendDecodeStd(dst[:start], in)
		}
		out[0], out[1] = byte(v>>16), byte(v>>8)
	default:
		return appendDecodeStd(dst[:start], in)
	}
	return dst[:start+n], true
}

// Alphabet reports whether every byte of s is a character of the base64url
// alphabet (RFC 4648 §5), without padding.
func Alphabet(s string) bool {
	if hasBlocks {
		k := alphabetBlocks(s)
		if len(s)-k*32 >= 32 {
			return false // the block after the k-th holds another byte
		}
		s = s[k*32:]
	}
	var bad uint32
	for i := 0; i < len(s); i++ {
		bad |= b64d0[s[i]]
	}
	return bad&b64bad == 0
}

// appendDecodeStd is AppendDecode by Encoding itself.
func appendDecodeStd(dst []byte, seg string) ([]byte, bool) {
	out, err := Encoding.AppendDecode(dst, Bytes(seg))
	return out, err == nil
}

// b64d0 … b64d3 map a character of the base64url alphabet, at each
// position of a quantum of four, to its six bits in place in the 24 bits
// of the quantum, and every other byte to b64bad.
var b64d0, b64d1, b64d2, b64d3 = b64tables()

// b64bad marks a byte outside the alphabet.
const b64bad = 1 << 24

func b64tables() (d0, d1, d2, d3 [256]uint32) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range 256 {
		d0[i], d1[i], d2[i], d3[i] = b64bad, b64bad, b64bad, b64bad
	}
	for i := range len(alphabet) {
		c, v := alphabet[i], uint32(i)
		d0[c], d1[c], d2[c], d3[c] = v<<18, v<<12, v<<6, v
	}
	return
}

// Bytes returns the bytes of s without copying them, for functions that
// only read their argument (hashes, signature checks, decoders). They
// must never be modified.
func Bytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Split splits tok into exactly three dot-separated segments and decodes
// the header with [Encoding]. It reports false for any other number of
// segments and for a header that is not strict base64url.
func Split(tok string) (JWS, bool) {
	h, p, s, ok := Cut(tok)
	if !ok {
		return JWS{}, false
	}
	hb, err := Encoding.DecodeString(h)
	if err != nil {
		return JWS{}, false
	}
	return JWS{Header: hb, SigningInput: tok[:len(h)+1+len(p)], Payload: p, Signature: s}, true
}

// TypeMatches reports whether a "typ" header names the media type want:
// compared case-insensitively, with or without the "application/" prefix
// either may be written with (RFC 7515 §4.1.9).
func TypeMatches(typ, want string) bool {
	const app = "application/"
	if len(typ) > len(app) && strings.EqualFold(typ[:len(app)], app) {
		typ = typ[len(app):]
	}
	if len(want) > len(app) && strings.EqualFold(want[:len(app)], app) {
		want = want[len(app):]
	}
	return strings.EqualFold(typ, want)
}
