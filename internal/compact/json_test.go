package compact

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/bits"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonSeeds are JSON texts (and near misses) at the edges of what
// encoding/json accepts into a map[string]any.
var jsonSeeds = []string{
	`{}`, `null`, ` null `, `{"a":1}`, ` {"a" : 1 } `, "\t{\n\"a\"\r:1}\n",
	``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,"a":1}`, `{"a":1 "b":2}`, `{'a':1}`,
	`[]`, `[1]`, `"x"`, `1`, `true`, `false`, `nul`, `nulll`, `{} {}`, `{}x`, `{}]`,
	`{"a":1,"a":2}`, `{"sub":"x","sub":3}`, `{"sub":"x","SUB":"y"}`, `{"s\u0075b":"esc"}`, `{"\u0073ub":1,"sub":2}`,
	`{"a":"\ud800"}`, `{"a":"\ud800\udc00"}`, `{"a":"\udc00\ud800"}`, `{"a":"\u00e9"}`, `{"a":"\uZZZZ"}`, `{"a":"\x"}`,
	"{\"a\":\"\xff\"}", "{\"a\":\"\xc3\xa9\"}", "{\"\xff\":1}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\x7f\"}",
	`{"a":"\/\b\f\n\r\t\"\\"}`, `{"a":"\u0000"}`,
	`{"n":0}`, `{"n":-0}`, `{"n":01}`, `{"n":-}`, `{"n":1.}`, `{"n":.5}`, `{"n":1e}`, `{"n":1e+}`, `{"n":1E-2}`, `{"n":+1}`,
	`{"n":1e308}`, `{"n":1e309}`, `{"n":-1e309}`, `{"n":1e-400}`, `{"n":2.5e-324}`, `{"n":1.7976931348623157e308}`, `{"n":1.7976931348623159e308}`,
	`{"n":123456789012345678901234567890}`, `{"x":[1e400]}`, `{"x":{"y":1e400}}`, `{"n":NaN}`, `{"n":Infinity}`,
	`{"n":` + "1" + strings.Repeat("0", 308) + `}`, `{"n":` + "1" + strings.Repeat("0", 309) + `}`, `{"n":0.` + strings.Repeat("0", 400) + `1}`,
	`{"aud":["a","b"]}`, `{"aud":[["a"]]}`, `{"aud":[]}`, `{"aud":[1,"a"]}`, `{"aud":{"a":1}}`, `{"cnf":{"jkt":"x","jkt":"y"}}`,
	`{"a":[1,2,[3,{"b":[]}]],"c":{}}`, `{"a":[1,2,]}`, `{"a":[,1]}`, `{"a":{"b":1,}}`, `{"a":[}`, `{"a":{]}`,
	`{"t":true,"f":false,"z":null}`, `{"t":tru}`, `{"t":True}`,
	// Nesting at encoding/json's bound (10,000 levels, the top object
	// included) and past it; "d" is not read, so only the checking is
	// compared ("a" is read: a shallower one compares the values).
	strings.Repeat(`{"d":`, 9999) + `1` + strings.Repeat(`}`, 9999),
	strings.Repeat(`{"d":`, 10000) + `1` + strings.Repeat(`}`, 10000),
	strings.Repeat(`{"d":`, 10001) + `1` + strings.Repeat(`}`, 10001),
	`{"d":` + strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 9999) + `}`,
	`{"d":` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000) + `}`,
	strings.Repeat(`{"a":`, 50) + `[1,{"a":"x"}]` + strings.Repeat(`}`, 50),
	strings.Repeat(`[`, 4000),
}

var testNames = NewNames("a", "n", "sub", "aud", "cnf", "x", "t", "f", "z", "\ufffd", "é")

// checkAgainstStdlib compares DecodeObject and Valid on data with
// encoding/json.
func checkAgainstStdlib(t *testing.T, data []byte) {
	t.Helper()
	var m map[string]any
	errMap := json.Unmarshal(data, &m)
	vals := make([]Value, testNames.Len())
	isNull, ok := DecodeObject(data, testNames, vals)
	if ok != (errMap == nil) {
		t.Fatalf("%q: DecodeObject ok=%v, json.Unmarshal err=%v", trim(data), ok, errMap)
	}
	var anyV any
	errAny := json.Unmarshal(data, &anyV)
	if Valid(data) != (errAny == nil) {
		t.Fatalf("%q: Valid=%v, json.Unmarshal into any: %v", trim(data), Valid(data), errAny)
	}
	if ValidSyntax(data) != json.Valid(data) {
		t.Fatalf("%q: ValidSyntax=%v, json.Valid=%v", trim(data), ValidSyntax(data), json.Valid(data))
	}
	// The reader agrees, and reads the same last members.
	r := NewObjectReader(data)
	last := map[string]Value{}
	for {
		name, v, more := r.Next()
		if !more {
			break
		}
		last[name] = v
	}
	rNull, rOK := r.Valid()
	if rOK != ok || rOK && rNull != isNull {
		t.Fatalf("%q: ObjectReader ok=%v null=%v, DecodeObject ok=%v null=%v", trim(data), rOK, rNull, ok, isNull)
	}
	if !ok {
		return
	}
	for i, name := range testNames.names {
		if v, present := last[name]; present != (vals[i].Kind != Absent) || present && !reflect.DeepEqual(toAny(t, data, v), toAny(t, data, vals[i])) {
			t.Fatalf("%q: ObjectReader read %q as %+v, DecodeObject %+v", trim(data), name, v, vals[i])
		}
	}
	if isNull != (m == nil) {
		t.Fatalf("%q: isNull=%v, map %v", trim(data), isNull, m)
	}
	for i, name := range testNames.names {
		want, present := m[name]
		got := vals[i]
		if !present {
			if got.Kind != Absent {
				t.Fatalf("%q: %q absent, got %+v", trim(data), name, got)
			}
			continue
		}
		if !reflect.DeepEqual(toAny(t, data, got), want) {
			t.Fatalf("%q: %q = %#v, want %#v", trim(data), name, toAny(t, data, got), want)
		}
	}
}

// toAny converts v to what encoding/json decodes into an any, through the
// walks for arrays and objects (to a depth of 32; deeper, each walk would
// cost the whole subtree again, so the text is decoded by encoding/json).
func toAny(t *testing.T, data []byte, v Value) any {
	return toAnyDepth(t, data, v, 0)
}

func toAnyDepth(t *testing.T, data []byte, v Value, depth int) any {
	if depth > 32 && (v.Kind == Array || v.Kind == Object) {
		var x any
		if err := json.Unmarshal(v.Text(data), &x); err != nil {
			t.Fatalf("%q: %v", trim(v.Text(data)), err)
		}
		return x
	}
	switch v.Kind {
	case Null:
		return nil
	case True:
		return true
	case False:
		return false
	case Number:
		return v.Num
	case String:
		return v.Str(data)
	case Array:
		out := []any{}
		it := v.Elems(data)
		for {
			name, e, ok := it.Next()
			if !ok {
				break
			}
			if name != "" {
				t.Fatalf("array element with a name %q", name)
			}
			out = append(out, toAnyDepth(t, data, e, depth+1))
		}
		return out
	case Object:
		out := map[string]any{}
		it := v.Members(data)
		for {
			name, e, ok := it.Next()
			if !ok {
				break
			}
			out[name] = toAnyDepth(t, data, e, depth+1)
		}
		return out
	}
	t.Fatalf("kind %d", v.Kind)
	return nil
}

func trim(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

func TestDecodeObjectMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		checkAgainstStdlib(t, []byte(s))
	}
}

func TestDecodeObjectValues(t *testing.T) {
	names := NewNames("iss", "exp", "aud", "cnf", "sub", "iss")
	require.Equal(t, 5, names.Len(), "a repeated name keeps its first index")
	vals := make([]Value, names.Len())
	data := []byte(`{"iss":"https://i.test","exp":1735689600.5,"aud":["a","b"],"cnf":{"jkt":"k"},"sub":null,"iss":"last"}`)
	isNull, ok := DecodeObject(data, names, vals)
	require.True(t, ok)
	assert.False(t, isNull)
	assert.Equal(t, String, vals[0].Kind)
	assert.Equal(t, "last", vals[0].Str(data), "the last member wins")
	assert.Equal(t, `"last"`, string(vals[0].Text(data)))
	assert.Equal(t, Number, vals[1].Kind)
	assert.Equal(t, 1735689600.5, vals[1].Num)
	assert.Equal(t, Array, vals[2].Kind)
	assert.Equal(t, `["a","b"]`, string(vals[2].Text(data)))
	assert.Equal(t, Object, vals[3].Kind)
	assert.Equal(t, Null, vals[4].Kind)

	_, ok = DecodeObject([]byte(`{"exp":1e400}`), names, vals)
	assert.False(t, ok, "a number out of float64's range fails the whole object")
	_, ok = DecodeObject([]byte(`{"other":[1e400]}`), names, vals)
	assert.False(t, ok, "even in a member nobody reads")
	isNull, ok = DecodeObject([]byte(`null`), names, vals)
	assert.True(t, ok)
	assert.True(t, isNull)
	for _, v := range vals {
		assert.Equal(t, Absent, v.Kind)
	}
}

func TestDecodeObjectAllocations(t *testing.T) {
	names := NewNames("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "tenant")
	vals := make([]Value, names.Len())
	data := []byte(`{"aud":"orders-api","exp":4070908800,"iat":1735689600,"iss":"https://auth.example.com","jti":"tok-1","nbf":1735689600,"scope":"orders:read orders:write","sub":"user-42","tenant":"acme"}`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := DecodeObject(data, names, vals); !ok {
			t.Fatal("refused")
		}
	})
	assert.Zero(t, allocs, "strings without escapes share the text; numbers need no allocation")
}

func TestDecodeSegment(t *testing.T) {
	buf := make([]byte, 0, 64)
	out, ok := AppendDecode(buf, "e30")
	require.True(t, ok)
	assert.Equal(t, "{}", string(out))
	assert.Equal(t, &buf[:1][0], &out[0], "decoded in place")
	for _, seg := range []string{"e31", "e30=", "e3+", "e", "!!!!"} {
		_, ok := AppendDecode(nil, seg)
		assert.False(t, ok, seg)
	}
	assert.Empty(t, Bytes(""))
}

func TestFiniteShortcut(t *testing.T) {
	// Without an exponent, fewer than 300 bytes of digits are always in
	// range; the shortcut agrees with strconv.ParseFloat.
	for _, n := range []string{strings.Repeat("9", 299), "-" + strings.Repeat("9", 298), "0." + strings.Repeat("9", 297)} {
		var f float64
		require.NoError(t, json.Unmarshal([]byte(n), &f), n)
		assert.False(t, math.IsInf(f, 0))
		assert.True(t, finite([]byte(n)))
	}
	assert.False(t, finite([]byte("1"+strings.Repeat("0", 309))))
}

// FuzzDecodeObject: DecodeObject and Valid accept exactly what
// encoding/json accepts, and read the same values.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range jsonSeeds {
		if len(s) < 2000 {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstStdlib(t, data)
	})
}

// TestSpecial8 checks the eight-byte test of string scanning: every byte
// that needs a look is caught at every position, and ordinary text is
// not flagged.
func TestSpecial8(t *testing.T) {
	for b := range 256 {
		for p := range 8 {
			w := []byte("aaaaaaaa")
			w[p] = byte(b)
			special := b < 0x20 || b >= 0x80 || b == '"' || b == '\\'
			m := special8(binary.LittleEndian.Uint64(w))
			if special != (m != 0) || special && bits.TrailingZeros64(m)/8 != p {
				t.Fatalf("byte %#x at %d: mask %#x", b, p, m)
			}
		}
	}
	for _, w := range []string{"abcdefgh", "https://", "orders:r", "~~~~~~~~", "        ", "0123-_.+"} {
		assert.Zero(t, special8(binary.LittleEndian.Uint64([]byte(w))), w)
	}
	// Two special bytes: the lowest flag is the first one.
	for p := range 8 {
		for q := p + 1; q < 8; q++ {
			for _, pair := range [][2]byte{{0x00, '"'}, {'"', 0x01}, {'\\', 0xff}, {0x1f, '\\'}, {0x80, 0x00}} {
				w := []byte("aaaaaaaa")
				w[p], w[q] = pair[0], pair[1]
				if got := bits.TrailingZeros64(special8(binary.LittleEndian.Uint64(w))) / 8; got != p {
					t.Fatalf("%q: first flag at %d, want %d", w, got, p)
				}
			}
		}
	}
}

// TestSmallInt: integers read by the small-integer path agree with
// strconv.ParseFloat, at every length and with every follower.
func TestSmallInt(t *testing.T) {
	for n := 1; n <= 17; n++ {
		digits := "98765432109876543"[:n]
		for _, follow := range []string{"", "}", ",", ".5", "e3", "E-1", " ", "a", "/", ":"} {
			for _, sign := range []string{"", "-"} {
				checkAgainstStdlib(t, []byte(`{"exp":`+sign+digits+follow+`}`))
				checkAgainstStdlib(t, []byte(`{"exp":`+sign+"0"+digits+follow+`}`))
			}
		}
	}
	for x := range 256 {
		checkAgainstStdlib(t, []byte(`{"exp":1234`+string(rune(x))+`678901}`))
	}
}
