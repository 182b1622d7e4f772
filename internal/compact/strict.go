package compact

import "strings"

// A Strictness is the verdict of [DecodeStrict].
type Strictness uint8

// The verdicts of DecodeStrict.
const (
	StrictOK      Strictness = iota
	StrictSyntax             // not one JSON value of valid syntax, nested at most 10,000 deep
	StrictType               // a value other than an object or null
	StrictMembers            // a name twice in one object, or a case variant of a name read
)

// DecodeStrict reads the JSON text data as a strict struct decoder reads
// it into a struct whose JSON fields are names (envelope.Decoder with
// AllowUnknownFields: encoding/json, then a refusal of what it would let
// through ambiguously): one JSON value of valid syntax, nested at most
// 10,000 deep, surrounded only by whitespace (else StrictSyntax); an object
// or null, which leaves every field as it is (else StrictType); no member
// name twice in any object at any depth, and no top-level member whose name
// equals one of names only when case is ignored (strings.EqualFold), which
// encoding/json would decode into that field (else StrictMembers). Names
// are compared after decoding. Members of other names are allowed and
// skipped, numbers among them unchecked, as a struct decoder skips them.
//
// vals[i] is set to the value of the member named names[i] (Absent when
// there is none), read back from data (see [Value]); a Number with Num
// unset, for the caller to convert its text as encoding/json converts into
// the field's type.
func DecodeStrict(data []byte, names *Names, vals []Value) (isNull bool, st Strictness) {
	for i := range vals {
		vals[i] = Value{}
	}
	s := scanner{data: data, anyNumber: true}
	s.space()
	if s.i >= len(data) {
		return false, StrictSyntax
	}
	if data[s.i] != '{' {
		k, ok := s.skip()
		if s.space(); !ok || s.i != len(data) {
			return false, StrictSyntax
		}
		if k != Null {
			return false, StrictType
		}
		return true, StrictOK
	}
	// The syntax first: encoding/json checks the whole text before it
	// decodes (a syntax error anywhere wins over a member defect).
	check := scanner{data: data, i: s.i, anyNumber: true}
	if _, ok := check.skip(); !ok {
		return false, StrictSyntax
	}
	check.space()
	if check.i != len(data) {
		return false, StrictSyntax
	}
	if !s.strictObject(names, vals) {
		return false, StrictMembers
	}
	return false, StrictOK
}

// strictObject reads the top-level object at s.i (its syntax already
// checked) into vals, and reports false for a repeated name or a case
// variant of a name read, or a nested object with a repeated name.
func (s *scanner) strictObject(names *Names, vals []Value) bool {
	d := s.data
	i := skipSpace(d, s.i+1)
	var small [16]string
	seen := small[:0]
	var many map[string]struct{} // past 16 members: no quadratic scan
	for i < len(d) && d[i] == '"' {
		start := i
		end, flags, _ := scanString(d, i)
		raw := d[start:end]
		name, _ := stringOf(raw, flags)
		idx := -1
		if plain(raw, flags) {
			idx = names.indexAt(d, start+1, end-1)
		} else {
			idx = names.Index(name)
		}
		if _, dup := many[name]; dup || containsString(seen, name) {
			return false
		}
		if len(seen) < cap(seen) {
			seen = append(seen, name)
		} else {
			if many == nil {
				many = make(map[string]struct{})
			}
			many[name] = struct{}{}
		}
		if idx < 0 && names.foldMatch(name) {
			return false
		}
		i = skipSpace(d, skipSpace(d, end)+1) // past ':'
		s.i = i
		var v Value
		if d[i] == '"' {
			e, flags, _ := scanString(d, i)
			v = Value{Kind: String, flags: flags, start: i, end: e}
			s.i = e
		} else {
			k, _ := s.skip()
			v = Value{Kind: k, start: i, end: s.i}
			if (k == Array || k == Object) && !uniqueNames(d[i:s.i]) {
				return false
			}
		}
		if idx >= 0 {
			vals[idx] = v
		}
		i = skipSpace(d, s.i)
		if d[i] == ',' {
			i = skipSpace(d, i+1)
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// foldMatch reports whether name equals one of the names when case is
// ignored (it equals none exactly).
func (n *Names) foldMatch(name string) bool {
	for _, x := range n.names {
		if strings.EqualFold(x, name) {
			return true
		}
	}
	return false
}

// uniqueNames reports whether no object in d (the text of an array or an
// object whose syntax is checked), at any depth, has a member name twice.
// It reads d once, with a stack of the names seen in each open object, so
// deep nesting costs linear time.
func uniqueNames(d []byte) bool {
	type object struct {
		names     []string
		many      map[string]struct{} // past 16 names
		expectKey bool
	}
	var stack []object // the open objects
	var kinds []bool   // the open arrays and objects: true for an object
	for i := 0; i < len(d); {
		switch d[i] {
		case '{':
			stack = append(stack, object{expectKey: true})
			kinds = append(kinds, true)
			i++
		case '[':
			kinds = append(kinds, false)
			i++
		case '}':
			stack = stack[:len(stack)-1]
			kinds = kinds[:len(kinds)-1]
			i++
		case ']':
			kinds = kinds[:len(kinds)-1]
			i++
		case ',':
			if len(kinds) > 0 && kinds[len(kinds)-1] {
				stack[len(stack)-1].expectKey = true
			}
			i++
		case '"':
			end, flags, ok := scanString(d, i)
			if !ok {
				return false // not reached: the syntax was checked
			}
			if len(kinds) > 0 && kinds[len(kinds)-1] && stack[len(stack)-1].expectKey {
				o := &stack[len(stack)-1]
				o.expectKey = false
				name, _ := stringOf(d[i:end], flags)
				if _, dup := o.many[name]; dup || containsString(o.names, name) {
					return false
				}
				if len(o.names) < 16 {
					o.names = append(o.names, name)
				} else {
					if o.many == nil {
						o.many = make(map[string]struct{})
					}
					o.many[name] = struct{}{}
				}
			}
			i = end
		default:
			i++
		}
	}
	return true
}
