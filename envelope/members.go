package envelope

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// checkMembers refuses what encoding/json silently accepts in the JSON
// text raw, which it has already decoded without error into t: an object
// with the same member name twice (encoding/json keeps the last one) and,
// in an object decoded into a struct, a member name that matches a field
// only when case is ignored (encoding/json matches case-insensitively).
// Either would let a body mean one thing to a proxy, firewall or log
// reader that takes the first or exact-case member, and another to the
// handler: {"username":"alice","USERNAME":"admin"}.
//
// raw must be valid JSON: the scanner relies on it and does not check
// syntax. Names are compared after unescaping, so "user\u006eame" is
// "username".
func checkMembers(raw []byte, t reflect.Type) *Error {
	s := memberScanner{raw: raw}
	return s.value(t)
}

// A memberScanner walks valid JSON text, following the Go type each value
// is decoded into (nil when unknown, as inside an interface).
type memberScanner struct {
	raw []byte
	i   int
}

func (s *memberScanner) space() {
	for s.i < len(s.raw) {
		switch s.raw[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value walks one value decoded into t.
func (s *memberScanner) value(t reflect.Type) *Error {
	s.space()
	if s.i >= len(s.raw) {
		return nil
	}
	t = deref(t)
	switch s.raw[s.i] {
	case '{':
		s.i++
		return s.object(t)
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
				return nil
			}
			if s.raw[s.i] == ',' {
				s.i++
				continue
			}
			if e := s.value(elem); e != nil {
				return e
			}
		}
	case '"':
		s.str()
	default: // number, true, false, null
		for s.i < len(s.raw) && !strings.ContainsRune(" \t\n\r,]}", rune(s.raw[s.i])) {
			s.i++
		}
	}
	return nil
}

// object walks the members of an object (its '{' consumed) decoded into t.
func (s *memberScanner) object(t reflect.Type) *Error {
	var fields map[string]reflect.Type
	var elem reflect.Type // the type of every member's value, for a map
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = fieldsOf(t).byName
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	var small [16]string
	seen := small[:0]
	var many map[string]struct{} // past 16 members: no quadratic scan
	for {
		s.space()
		if s.i >= len(s.raw) || s.raw[s.i] == '}' {
			s.i++
			return nil
		}
		if s.raw[s.i] == ',' {
			s.i++
			continue
		}
		name := s.str()
		if slices.Contains(seen, name) {
			return fieldError("Duplicate field: ", "Duplicate field in request body", name)
		}
		if _, dup := many[name]; dup {
			return fieldError("Duplicate field: ", "Duplicate field in request body", name)
		}
		if len(seen) < cap(seen) {
			seen = append(seen, name)
		} else {
			if many == nil {
				many = make(map[string]struct{})
			}
			many[name] = struct{}{}
		}
		vt := elem
		if fields != nil {
			ft, exact := fields[name]
			if !exact && foldMatch(fields, name) {
				return fieldError("Unknown field: ", "Unknown field in request body", name)
			}
			vt = ft
		}
		s.space()
		s.i++ // ':'
		if e := s.value(vt); e != nil {
			return e
		}
	}
}

// str consumes a string (at its opening quote) and returns its value.
func (s *memberScanner) str() string {
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
				return string(raw)
			}
			// Escapes, or invalid UTF-8 (which encoding/json turns into
			// U+FFFD): read the name as encoding/json reads it.
			var v string
			_ = json.Unmarshal(s.raw[start:s.i], &v)
			return v
		}
		s.i++
	}
	return ""
}

// fieldError is a validation error that names the client's member name
// when it is safe to repeat, and is generic otherwise.
func fieldError(prefix, generic, name string) *Error {
	if !safeFieldName(name) {
		return ErrValidation.WithMessage(generic)
	}
	return ErrValidation.WithField(name).WithMessage(prefix + name)
}

// foldMatch reports whether name equals a field name of fields when case
// is ignored, as encoding/json would match it.
func foldMatch(fields map[string]reflect.Type, name string) bool {
	for f := range fields {
		if strings.EqualFold(f, name) {
			return true
		}
	}
	return false
}

// deref returns t without its pointer levels; nil stays nil.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// A jsonField is a struct field encoding/json decodes one member into.
type jsonField struct {
	name     string
	index    []int // from the decoded struct, through embedded structs
	typ      reflect.Type
	tagged   bool // its name comes from a json tag
	required bool // tagged envelope:"required"
}

// A typeFields is what the decoder knows of a struct type: the type of
// each member name encoding/json decodes, and its required fields in
// declaration order.
type typeFields struct {
	byName   map[string]reflect.Type
	required []jsonField
}

var fieldsCache sync.Map // reflect.Type -> *typeFields

// fieldsOf returns the fields encoding/json decodes members of struct type
// t into, following its rules for tags, unexported fields and embedded
// structs (an embedded struct without a name tag contributes its fields).
// Where names collide, the shallowest field wins, and at one depth the
// only tagged one; when that leaves several, none does, and the name is
// unknown, as encoding/json drops it.
func fieldsOf(t reflect.Type) *typeFields {
	if v, ok := fieldsCache.Load(t); ok {
		return v.(*typeFields)
	}
	tf := &typeFields{byName: make(map[string]reflect.Type)}
	decided := make(map[string]bool) // names a shallower depth settled
	type embedded struct {
		t     reflect.Type
		index []int
	}
	level := []embedded{{t: t}}
	for depth := 0; len(level) > 0 && depth <= 8; depth++ {
		var next []embedded
		byName := make(map[string][]jsonField)
		var names []string // in declaration order
		for _, e := range level {
			for i := 0; i < e.t.NumField(); i++ {
				f := e.t.Field(i)
				tag := f.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				index := append(slices.Clip(e.index), i)
				if f.Anonymous && name == "" {
					if et := deref(f.Type); et.Kind() == reflect.Struct {
						next = append(next, embedded{et, index})
						continue
					}
				}
				if !f.IsExported() {
					continue
				}
				jf := jsonField{name: name, index: index, typ: f.Type, tagged: name != "", required: f.Tag.Get("envelope") == "required"}
				if jf.name == "" {
					jf.name = f.Name
				}
				if decided[jf.name] {
					continue
				}
				if len(byName[jf.name]) == 0 {
					names = append(names, jf.name)
				}
				byName[jf.name] = append(byName[jf.name], jf)
			}
		}
		for _, name := range names {
			decided[name] = true
			if f, ok := dominant(byName[name]); ok {
				tf.byName[name] = f.typ
				if f.required {
					tf.required = append(tf.required, f)
				}
			}
		}
		level = next
	}
	slices.SortFunc(tf.required, func(a, b jsonField) int { return slices.Compare(a.index, b.index) })
	fieldsCache.Store(t, tf)
	return tf
}

// dominant returns the field of fs, fields of one name at one depth, that
// encoding/json decodes the name into: the only one, or the only tagged
// one; false when there is none.
func dominant(fs []jsonField) (jsonField, bool) {
	if len(fs) == 1 {
		return fs[0], true
	}
	var tagged []jsonField
	for _, f := range fs {
		if f.tagged {
			tagged = append(tagged, f)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return jsonField{}, false
}
