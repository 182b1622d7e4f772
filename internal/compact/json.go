package compact

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// A Kind is the JSON type of a member's value, or Absent.
type Kind uint8

// The kinds of [Value].
const (
	Absent Kind = iota // the object has no member of that name
	Null
	False
	True
	Number
	String
	Array
	Object
)

// A Value is one JSON value read by [DecodeObject], [DecodeStrict], an
// [ObjectReader] or a walk of an array or object ([Value.Elems],
// [Value.Members]): its kind, its number, and where its text lies in the
// JSON text it was read from. It holds no pointer: its text is read back
// by the methods that take that same JSON text ([Value.Text],
// [Value.Str], [Value.Elems], [Value.Members]). So a decoder's slots keep
// nothing alive and storing them costs no write barrier, and the text
// DecodeObject and an ObjectReader read from may live on the caller's
// stack.
type Value struct {
	Kind       Kind
	flags      uint8   // String: the flags scanString reported
	start, end int     // the value's text is data[start:end]
	Num        float64 // Number: the value as strconv.ParseFloat reads it
}

// Text returns the value's JSON text in data, the text it was read from
// (nil for Absent).
func (v Value) Text(data []byte) []byte {
	if v.Kind == Absent {
		return nil
	}
	return data[v.start:v.end:v.end]
}

// Str returns the string a String value holds in data, the text it was
// read from, as encoding/json decodes it: escapes resolved, and each byte
// of invalid UTF-8 (and each unpaired surrogate escape) replaced by
// U+FFFD. When the text needs neither, the string shares data's memory,
// which must then never be modified while the string is in use; otherwise
// it is a new string. It returns "" for any other kind.
func (v Value) Str(data []byte) string {
	if v.Kind != String {
		return ""
	}
	s, _ := stringOf(data[v.start:v.end], v.flags) // the syntax was checked: it decodes
	return s
}

// A Names is the list of top-level member names [DecodeObject] reads, each
// at its index. Build it once with [NewNames]; it is never modified.
type Names struct {
	names []string
	keys  []uint64 // keys[i] is shortKey(names[i])
	// The short names by a perfect hash of their keys: slot
	// (key*mul)>>shift holds index+1, or 0.
	mul   uint64
	shift uint8
	slots []uint8
}

// NewNames returns the table of names, in the order given; a name given
// twice keeps its first index.
func NewNames(names ...string) *Names {
	n := &Names{}
	for _, s := range names {
		if n.Index(s) < 0 {
			n.names = append(n.names, s)
			n.keys = append(n.keys, shortKey([]byte(s)))
		}
	}
	n.hash()
	return n
}

// hash finds a multiplier that sends the short names' keys to distinct
// slots of a table four to eight times their number, trying odd
// multipliers from a fixed sequence; without one (or past 255 names) the
// names are searched one by one.
func (n *Names) hash() {
	if len(n.names) >= 255 {
		return
	}
	bitsN := uint8(2)
	for 1<<bitsN < 4*len(n.names) {
		bitsN++
	}
	mul := uint64(0x9E3779B97F4A7C15)
	for range 1000 {
		slots := make([]uint8, 1<<bitsN)
		ok := true
		for i, k := range n.keys {
			if k == longName {
				continue
			}
			h := (k * mul) >> (64 - bitsN)
			if slots[h] != 0 {
				ok = false
				break
			}
			slots[h] = uint8(i + 1)
		}
		if ok {
			n.mul, n.shift, n.slots = mul, 64-bitsN, slots
			return
		}
		mul = mul*6364136223846793005 + 1442695040888963407 | 1
	}
}

// lookup returns the index of the short name of key k, or -1.
func (n *Names) lookup(k uint64) int {
	if n.slots != nil {
		if x := int(n.slots[(k*n.mul)>>n.shift]) - 1; x >= 0 && n.keys[x] == k {
			return x
		}
		return -1
	}
	for i, key := range n.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// longName is the key of every name longer than 7 bytes.
const longName = ^uint64(0)

// shortKey packs a name of at most 7 bytes and its length into a word, so
// that a name is found among short names by comparing words.
func shortKey(b []byte) uint64 {
	if len(b) > 7 {
		return longName
	}
	k := uint64(len(b)) << 56
	for i, c := range b {
		k |= uint64(c) << (8 * i)
	}
	return k
}

// Index returns the index of name, or -1.
func (n *Names) Index(name string) int {
	for i, s := range n.names {
		if s == name {
			return i
		}
	}
	return -1
}

// Len returns the number of names.
func (n *Names) Len() int { return len(n.names) }

// indexAt is indexBytes for the name data[i:j]: a short name is read as
// one word when data holds eight bytes from i.
func (n *Names) indexAt(data []byte, i, j int) int {
	if l := j - i; l <= 7 && i+8 <= len(data) {
		return n.lookup(binary.LittleEndian.Uint64(data[i:])&(1<<(8*l)-1) | uint64(l)<<56)
	}
	return n.indexBytes(data[i:j])
}

// indexBytes is Index for a name still in the JSON text, unescaped.
func (n *Names) indexBytes(b []byte) int {
	if k := shortKey(b); k != longName {
		return n.lookup(k)
	}
	for i, s := range n.names {
		if len(s) == len(b) && s == string(b) {
			return i
		}
	}
	return -1
}

// maxDepth is encoding/json's bound on nesting: an array or object nested
// more deeply is a syntax error there.
const maxDepth = 10000

// DecodeObject reads the JSON text data as json.Unmarshal reads it into a
// map[string]any, without building the map: it reports ok exactly when
// json.Unmarshal would succeed — one JSON value, surrounded only by
// whitespace, of valid syntax, nested at most 10,000 deep, every number
// within float64's range (strconv.ParseFloat without error), the value an
// object or null — and isNull when the value is null (json.Unmarshal then
// leaves the map nil). It sets vals[i] (len(vals) must be names.Len()) to
// the value of the member named names[i]: the last one when the object has
// several, as the map would keep; Kind Absent when it has none. Member
// names are compared after decoding, as map keys are. The values are read
// back from data (see [Value]); data does not escape.
func DecodeObject(data []byte, names *Names, vals []Value) (isNull, ok bool) {
	for i := range vals {
		vals[i] = Value{}
	}
	s := scanner{data: data}
	s.space()
	if s.i >= len(data) {
		return false, false
	}
	switch data[s.i] {
	case '{':
		if !s.object(names, vals) {
			return false, false
		}
	case 'n':
		if !s.literal("null") {
			return false, false
		}
		isNull = true
	default:
		// Any other value (or none) is an error for a map target; only
		// its syntax decides which, and both fail.
		return false, false
	}
	s.space()
	return isNull, s.i == len(data)
}

// ValidSyntax reports whether data is one JSON value of valid syntax,
// nested at most 10,000 deep, as json.Valid does (numbers of any size).
func ValidSyntax(data []byte) bool {
	s := scanner{data: data, anyNumber: true}
	s.space()
	if s.i >= len(data) {
		return false
	}
	if _, ok := s.skip(); !ok {
		return false
	}
	s.space()
	return s.i == len(data)
}

// An ObjectReader reads the members of a JSON object one at a time,
// checking the text as [DecodeObject] does, for a caller that keeps the
// values it wants itself (no slots): the text may then live on the
// caller's stack. Read the members with Next until it returns false, then
// ask Valid.
type ObjectReader struct {
	s     scanner
	state uint8 // readStart, readMembers, readDone, readFailed
	null  bool
}

const (
	readStart = iota
	readMembers
	readDone
	readFailed
)

// NewObjectReader returns a reader of the JSON text data.
func NewObjectReader(data []byte) ObjectReader {
	return ObjectReader{s: scanner{data: data}}
}

// Next returns the next member's name (sharing data's memory when it
// can) and value (read back from data, see [Value]), read as DecodeObject
// reads them, and false after the last one or at the first error.
func (r *ObjectReader) Next() (name string, v Value, ok bool) {
	s := &r.s
	switch r.state {
	case readStart:
		s.space()
		if s.i >= len(s.data) {
			r.state = readFailed
			return "", Value{}, false
		}
		switch s.data[s.i] {
		case '{':
			s.depth++
			s.i++
			s.space()
			if s.i < len(s.data) && s.data[s.i] == '}' {
				s.i++
				r.finish()
				return "", Value{}, false
			}
			r.state = readMembers
		case 'n':
			r.null = true
			if !s.literal("null") {
				r.state = readFailed
				return "", Value{}, false
			}
			r.finish()
			return "", Value{}, false
		default:
			r.state = readFailed
			return "", Value{}, false
		}
	case readMembers:
	default:
		return "", Value{}, false
	}
	// At a member's name.
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		r.state = readFailed
		return "", Value{}, false
	}
	start := s.i
	flags, ok := s.str()
	if ok {
		name, ok = stringOf(s.data[start:s.i], flags)
	}
	if ok {
		s.space()
		ok = s.i < len(s.data) && s.data[s.i] == ':'
	}
	if ok {
		s.i++
		s.space()
		ok = s.i < len(s.data)
	}
	if ok {
		v, ok = s.read()
	}
	if ok {
		s.space()
		ok = s.i < len(s.data)
	}
	if !ok {
		r.state = readFailed
		return "", Value{}, false
	}
	switch s.data[s.i] {
	case ',':
		s.i++
		s.space()
	case '}':
		s.i++
		r.finish()
	default:
		r.state = readFailed
		return "", Value{}, false
	}
	return name, v, true
}

// finish checks that only whitespace follows the value.
func (r *ObjectReader) finish() {
	r.s.space()
	r.state = readDone
	if r.s.i != len(r.s.data) {
		r.state = readFailed
	}
}

// Valid reports, once Next has returned false, whether the text was an
// object or null that json.Unmarshal accepts into a map, and whether it
// was null.
func (r *ObjectReader) Valid() (isNull, ok bool) {
	return r.null, r.state == readDone
}

// Valid reports whether data is one JSON value that json.Unmarshal
// decodes into an any without error: valid syntax, nesting of at most
// 10,000 levels, every number within float64's range.
func Valid(data []byte) bool {
	s := scanner{data: data}
	s.space()
	if s.i >= len(data) {
		return false
	}
	if _, ok := s.skip(); !ok {
		return false
	}
	s.space()
	return s.i == len(data)
}

// scanner reads JSON text from data at i.
type scanner struct {
	data  []byte
	i     int
	depth int // containers open
	// anyNumber accepts every number of JSON's grammar, as a struct
	// decoder skipping a value does (DecodeStrict); otherwise a number
	// must be within float64's range, as an any requires.
	anyNumber bool
}

func (s *scanner) space() { s.i = skipSpace(s.data, s.i) }

func (s *scanner) literal(lit string) bool {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// object reads the object at s.i into vals (see DecodeObject). It works
// on a local index (the scanner's is updated around the calls that need
// it): this loop is the whole cost of a claim set.
func (s *scanner) object(names *Names, vals []Value) bool {
	d := s.data
	s.depth++ // 1: the top level never exceeds the bound
	i := skipSpace(d, s.i+1)
	if i < len(d) && d[i] == '}' {
		s.i = i + 1
		return true
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return false
		}
		start := i
		end, flags, ok := scanString(d, i)
		if !ok {
			return false
		}
		idx := -1
		if names != nil {
			if raw := d[start:end]; plain(raw, flags) {
				idx = names.indexAt(d, start+1, end-1)
			} else if n, ok := unquote(raw); ok {
				idx = names.Index(n)
			}
		}
		i = skipSpace(d, end)
		if i >= len(d) || d[i] != ':' {
			return false
		}
		if i = skipSpace(d, i+1); i >= len(d) {
			return false
		}
		switch {
		case idx < 0:
			s.i = i
			if _, ok := s.skip(); !ok {
				return false
			}
			i = s.i
		case d[i] == '"':
			end, flags, ok := scanString(d, i)
			if !ok {
				return false
			}
			vals[idx] = Value{Kind: String, flags: flags, start: i, end: end}
			i = end
		default:
			s.i = i
			v, ok := s.read()
			if !ok {
				return false
			}
			vals[idx] = v
			i = s.i
		}
		i = skipSpace(d, i)
		if i >= len(d) {
			return false
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case '}':
			s.i = i + 1
			return true
		default:
			return false
		}
	}
}

// skipSpace returns the index of the first byte of d from i that is not
// JSON whitespace, or len(d).
func skipSpace(d []byte, i int) int {
	for i < len(d) && d[i] <= ' ' && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// read reads the value at s.i, converting a number (with anyNumber, a
// number is left as text, Num unset).
func (s *scanner) read() (Value, bool) {
	start := s.i
	switch s.data[s.i] {
	case '"':
		flags, ok := s.str()
		return Value{Kind: String, flags: flags, start: start, end: s.i}, ok
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if s.anyNumber {
			// Its text alone, for a caller that converts it itself.
			ok := s.number()
			return Value{Kind: Number, start: start, end: s.i}, ok
		}
		if f, ok := s.smallInt(); ok {
			return Value{Kind: Number, Num: f, start: start, end: s.i}, true
		}
		if !s.number() {
			return Value{}, false
		}
		raw := s.data[start:s.i]
		f, err := strconv.ParseFloat(unsafe.String(&raw[0], len(raw)), 64)
		if err != nil {
			return Value{}, false
		}
		return Value{Kind: Number, Num: f, start: start, end: s.i}, true
	}
	k, ok := s.skip()
	return Value{Kind: k, start: start, end: s.i}, ok
}

// The flags str reports about a string.
const (
	hasEscape   = 1 << iota // a backslash escape
	hasNonASCII             // a byte outside ASCII
)

// plain reports whether the JSON string raw (quotes included), with the
// flags str reported, decodes to its own bytes: no escape, valid UTF-8.
func plain(raw []byte, flags uint8) bool {
	return flags == 0 || flags == hasNonASCII && utf8.Valid(raw[1:len(raw)-1])
}

// smallInt consumes, at s.i, a number of JSON's grammar that is an integer
// of 1 to 15 digits, which float64 holds exactly (so strconv.ParseFloat
// reads the same), and returns its value. For any other text it consumes
// nothing and returns false.
func (s *scanner) smallInt() (float64, bool) {
	d := s.data
	i := s.i
	neg := d[i] == '-'
	if neg {
		i++
	}
	first := i
	limit := min(len(d), first+16)
	var v int64
	for ; i < limit; i++ {
		c := d[i] - '0'
		if c > 9 {
			break
		}
		v = v*10 + int64(c)
	}
	n := i - first
	switch {
	case n == 0 || n > 15 || n > 1 && d[first] == '0':
		return 0, false
	case i < len(d) && (d[i] == '.' || d[i] == 'e' || d[i] == 'E'):
		return 0, false
	}
	s.i = i
	f := float64(v)
	if neg {
		f = -f // -0 stays negative zero, as strconv reads it
	}
	return f, true
}

// stringOf returns the decoded value of the JSON string raw (quotes
// included, syntax already checked): raw's own bytes when it has no
// escape and is valid UTF-8, else encoding/json's decoding of it.
func stringOf(raw []byte, flags uint8) (string, bool) {
	if plain(raw, flags) {
		body := raw[1 : len(raw)-1]
		if len(body) == 0 {
			return "", true
		}
		return unsafe.String(&body[0], len(body)), true
	}
	return unquote(raw)
}

// unquote decodes the JSON string raw (quotes included) as encoding/json
// does, into a new string. json.Unmarshal is handed a copy, so that raw,
// which may live on a caller's stack, does not escape.
func unquote(raw []byte) (string, bool) {
	var v string
	return v, json.Unmarshal(bytes.Clone(raw), &v) == nil
}

// str consumes the string at s.i (its opening quote) and returns its
// flags: whether it has an escape, a byte outside ASCII (invalid UTF-8
// needs replacing).
func (s *scanner) str() (flags uint8, ok bool) {
	end, flags, ok := scanString(s.data, s.i)
	if ok {
		s.i = end
	}
	return flags, ok
}

// scanString checks the string at d[i] (its opening quote) and returns the
// index after its closing quote and its flags.
func scanString(d []byte, i int) (end int, flags uint8, ok bool) {
	i++
	for {
		var c byte
		if i+8 <= len(d) {
			// Eight bytes at a time, to the first that needs a look.
			m := special8(binary.LittleEndian.Uint64(d[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
			c = d[i]
		} else {
			for i < len(d) && strSafe[d[i]] {
				i++
			}
			if i >= len(d) {
				return 0, 0, false
			}
			c = d[i]
		}
		switch {
		case c == '"':
			return i + 1, flags, true
		case c < 0x20:
			return 0, 0, false
		case c == '\\':
			flags |= hasEscape
			if i+1 >= len(d) {
				return 0, 0, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return 0, 0, false
				}
				i += 6
			default:
				return 0, 0, false
			}
		default: // c >= 0x80
			flags |= hasNonASCII
			i++
		}
	}
}

// special8 returns the high bits of the bytes of x that are a quote, a
// backslash, a control character or outside ASCII, or may be: a byte is
// flagged only above one that truly is (a borrow), so the lowest flag is
// always exact, and no such byte is missed.
func special8(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (lo * '"')
	backslash := x ^ (lo * '\\')
	return ((x-lo*0x20)&^x | (quote-lo)&^quote | (backslash-lo)&^backslash | x) & hi
}

// strSafe marks the bytes a string holds as they are: printable ASCII but
// the quote and the backslash.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number consumes a number of JSON's grammar at s.i.
func (s *scanner) number() bool {
	d := s.data
	i := s.i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return false
	case d[i] == '0':
		i++
	case d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	s.i = i
	return true
}

// finite reports whether the number text n (of JSON's grammar) is within
// float64's range, as encoding/json requires of a number decoded into an
// any. Without an exponent a number of fewer than 300 bytes always is.
func finite(n []byte) bool {
	if len(n) < 300 {
		plain := true
		for _, c := range n {
			if c == 'e' || c == 'E' {
				plain = false
				break
			}
		}
		if plain {
			return true
		}
	}
	_, err := strconv.ParseFloat(unsafe.String(&n[0], len(n)), 64)
	return err == nil
}

// skip consumes the value at s.i (whitespace before it already consumed),
// checking it as encoding/json would decode it into an any, and returns
// its kind. Containers are walked without recursion.
func (s *scanner) skip() (Kind, bool) {
	d := s.data
	var first Kind
	// open holds one bit per container open in this walk: 1 for an object.
	var open [maxDepth/64 + 1]uint64
	n := 0
	for {
		// At the start of a value.
		if s.i >= len(d) {
			return 0, false
		}
		var k Kind
		switch c := d[s.i]; c {
		case '{', '[':
			if s.depth++; s.depth > maxDepth {
				return 0, false
			}
			k = Array
			if c == '{' {
				k = Object
				open[n/64] |= 1 << (n % 64)
			} else {
				open[n/64] &^= 1 << (n % 64)
			}
			n++
			if first == Absent {
				first = k
			}
			s.i++
			s.space()
			if s.i < len(d) && (c == '{' && d[s.i] == '}' || c == '[' && d[s.i] == ']') {
				s.i++
				n--
				s.depth--
				break // an empty container is a complete value
			}
			if c == '{' && !s.memberName() {
				return 0, false
			}
			continue // its first value
		case '"':
			if _, ok := s.str(); !ok {
				return 0, false
			}
			k = String
		case 't':
			if !s.literal("true") {
				return 0, false
			}
			k = True
		case 'f':
			if !s.literal("false") {
				return 0, false
			}
			k = False
		case 'n':
			if !s.literal("null") {
				return 0, false
			}
			k = Null
		default:
			start := s.i
			if !s.number() || !s.anyNumber && !finite(d[start:s.i]) {
				return 0, false
			}
			k = Number
		}
		if first == Absent {
			first = k
		}
		// After a complete value: close containers, or go on to the next
		// element or member.
		for {
			if n == 0 {
				return first, true
			}
			s.space()
			if s.i >= len(d) {
				return 0, false
			}
			isObj := open[(n-1)/64]&(1<<((n-1)%64)) != 0
			c := d[s.i]
			if c == ',' {
				s.i++
				s.space()
				if isObj && !s.memberName() {
					return 0, false
				}
				break
			}
			if isObj && c == '}' || !isObj && c == ']' {
				s.i++
				n--
				s.depth--
				continue
			}
			return 0, false
		}
	}
}

// memberName consumes a member name, the colon after it and the
// whitespace around it.
func (s *scanner) memberName() bool {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return false
	}
	if _, ok := s.str(); !ok {
		return false
	}
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != ':' {
		return false
	}
	s.i++
	s.space()
	return true
}

// Elems walks the elements of an Array value read from data (already
// checked); the elements are read from data too.
func (v Value) Elems(data []byte) Iter {
	if v.Kind != Array {
		return Iter{}
	}
	return Iter{s: scanner{data: data[:v.end], i: v.start + 1}, array: true}
}

// Members walks the members of an Object value read from data (already
// checked); the members are read from data too.
func (v Value) Members(data []byte) Iter {
	if v.Kind != Object {
		return Iter{}
	}
	return Iter{s: scanner{data: data[:v.end], i: v.start + 1}}
}

// An Iter walks an array's elements or an object's members, in order.
type Iter struct {
	s     scanner
	array bool
	done  bool
}

// Next returns the next element (name is "") or member, and false at the
// end.
func (it *Iter) Next() (name string, v Value, ok bool) {
	s := &it.s
	if it.done || len(s.data) == 0 {
		return "", Value{}, false
	}
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ',' {
		s.i++
		s.space()
	}
	if s.i >= len(s.data) || s.data[s.i] == ']' || s.data[s.i] == '}' {
		it.done = true
		return "", Value{}, false
	}
	if !it.array {
		start := s.i
		flags, ok := s.str()
		if !ok {
			it.done = true
			return "", Value{}, false
		}
		if name, ok = stringOf(s.data[start:s.i], flags); !ok {
			it.done = true
			return "", Value{}, false
		}
		s.space()
		s.i++ // ':'
		s.space()
	}
	v, ok = s.read()
	if !ok {
		it.done = true
		return "", Value{}, false
	}
	return name, v, true
}
