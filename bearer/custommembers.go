package bearer

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// errAmbiguousClaims is the cause of a claim set refused by [Custom]
// because two of its members decode into one field.
var errAmbiguousClaims = errors.New("bearer: two claims decode into one field of the custom claim type")

// checkAmbiguous returns errAmbiguousClaims when the JSON text raw, which
// encoding/json decodes into a value of type t, has in one object two
// members that encoding/json would decode into the same place: the same
// name twice, or, in an object decoded into a struct, two names that
// select one field. encoding/json matches a member to a field by exact
// name and then case-insensitively, and keeps the last member, so
// {"role":"user","ROLE":"admin"} would mean one thing to a reader that
// takes the exact-case or the first member and another to the
// application. Members that select no field are ignored. raw must be
// valid JSON (encoding/json decoded it): the scanner relies on it and does
// not check syntax. t is followed into nested structs, maps, slices,
// arrays and pointers; objects of an unknown type (an interface, or a type
// with its own UnmarshalJSON) are checked for repeated names only. Names
// are compared after unescaping, so "r\u006fle" is "role". It allocates
// only for escaped names and for objects of more than 16 members.
func checkAmbiguous(raw []byte, t reflect.Type) error {
	s := claimScanner{raw: raw}
	if s.value(t, 0) {
		return errAmbiguousClaims
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// maxMemberDepth bounds the nesting the scanner follows, as encoding/json
// bounds what it decodes.
const maxMemberDepth = 10000

// A claimScanner walks valid JSON text, following the Go type each value
// is decoded into (nil when unknown).
type claimScanner struct {
	raw []byte
	i   int
}

func (s *claimScanner) space() {
	for s.i < len(s.raw) {
		switch s.raw[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value walks one value decoded into t and reports whether an object in
// it is ambiguous.
func (s *claimScanner) value(t reflect.Type, depth int) bool {
	s.space()
	if s.i >= len(s.raw) {
		return false
	}
	if depth > maxMemberDepth {
		return true
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)) {
		t = nil // decoded by its own UnmarshalJSON: its fields say nothing
	}
	switch s.raw[s.i] {
	case '{':
		s.i++
		return s.object(t, depth)
	case '[':
		s.i++
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for {
			s.space()
			if s.i >= len(s.raw) || s.raw[s.i] == ']' {
				s.i++
				return false
			}
			if s.raw[s.i] == ',' {
				s.i++
				continue
			}
			if s.value(elem, depth+1) {
				return true
			}
		}
	case '"':
		s.str()
	default: // number, true, false, null
		for s.i < len(s.raw) && !strings.ContainsRune(" \t\n\r,]}", rune(s.raw[s.i])) {
			s.i++
		}
	}
	return false
}

// object walks the members of an object (its '{' consumed) decoded into
// t. In a struct a member is known by the index of the field it selects;
// elsewhere by its name.
func (s *claimScanner) object(t reflect.Type, depth int) bool {
	var fields []memberField
	var elem reflect.Type
	isStruct := t != nil && t.Kind() == reflect.Struct
	switch {
	case isStruct:
		fields = structMembers(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	var smallIdx [16]int
	var smallName [16][]byte
	seenIdx, seenName := smallIdx[:0], smallName[:0]
	var many map[string]struct{} // past 16 members: no quadratic scan
	for {
		s.space()
		if s.i >= len(s.raw) || s.raw[s.i] == '}' {
			s.i++
			return false
		}
		if s.raw[s.i] == ',' {
			s.i++
			continue
		}
		name := s.str()
		vt := elem
		if isStruct {
			vt = nil
			if f := matchMember(fields, name); f >= 0 {
				vt = fields[f].typ
				if slices.Contains(seenIdx, f) {
					return true
				}
				seenIdx = append(seenIdx, f) // at most one entry per field of t
			}
		} else {
			if _, dup := many[string(name)]; dup || slices.ContainsFunc(seenName, func(n []byte) bool { return bytes.Equal(n, name) }) {
				return true
			}
			if len(seenName) < cap(seenName) {
				seenName = append(seenName, name)
			} else {
				if many == nil {
					many = make(map[string]struct{})
				}
				many[string(name)] = struct{}{}
			}
		}
		s.space()
		s.i++ // ':'
		if s.value(vt, depth+1) {
			return true
		}
	}
}

// str consumes a string (at its opening quote) and returns its value, as
// encoding/json reads it: a slice of raw when it has no escapes and is
// valid UTF-8, else a decoded copy.
func (s *claimScanner) str() []byte {
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.raw) {
		switch s.raw[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			s.i++
			if raw := s.raw[start+1 : s.i-1]; !escaped && utf8.Valid(raw) {
				return raw
			}
			// Escapes, or invalid UTF-8 (which encoding/json turns into
			// U+FFFD): read the name as encoding/json reads it.
			var v string
			_ = json.Unmarshal(s.raw[start:s.i], &v)
			return []byte(v)
		}
		s.i++
	}
	return nil
}

// A memberField is a struct field encoding/json decodes members into.
type memberField struct {
	name []byte // its JSON name: the tag's, else the Go field name
	typ  reflect.Type
}

// matchMember returns the index in fields of the field encoding/json
// decodes the member name into: the field of that exact name, else the
// first whose name matches case-insensitively (bytes.EqualFold, which
// encoding/json's folding equals); -1 when none does.
func matchMember(fields []memberField, name []byte) int {
	for i := range fields {
		if bytes.Equal(fields[i].name, name) {
			return i
		}
	}
	for i := range fields {
		if bytes.EqualFold(fields[i].name, name) {
			return i
		}
	}
	return -1
}

var memberCache sync.Map // reflect.Type → []memberField

// structMembers returns the fields of struct type t that encoding/json
// decodes into, in its order (by field index, embedded structs' fields in
// place): exported fields not tagged "-", named by their tag or Go name,
// and the fields of untagged embedded structs, which a field of the same
// name nearer the top hides.
func structMembers(t reflect.Type) []memberField {
	if f, ok := memberCache.Load(t); ok {
		return f.([]memberField)
	}
	var all []memberField
	var depths []int
	collectMembers(t, 0, map[reflect.Type]bool{}, &all, &depths)
	var out []memberField
	for i, f := range all {
		hidden := false
		for j, g := range all {
			if bytes.Equal(g.name, f.name) && depths[j] < depths[i] {
				hidden = true
				break
			}
		}
		if !hidden {
			out = append(out, f)
		}
	}
	memberCache.Store(t, out)
	return out
}

// collectMembers appends the fields of t, and those of its untagged
// embedded structs in place, with their embedding depth.
func collectMembers(t reflect.Type, depth int, visiting map[reflect.Type]bool, out *[]memberField, depths *[]int) {
	if visiting[t] {
		return
	}
	visiting[t] = true
	defer delete(visiting, t)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := sf.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			collectMembers(ft, depth+1, visiting, out, depths)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		*out = append(*out, memberField{[]byte(name), sf.Type})
		*depths = append(*depths, depth)
	}
}
