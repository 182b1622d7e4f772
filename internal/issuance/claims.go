package issuance

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// ClaimsDecoder decodes the verified claims of a token (an access or
// refresh JWT, a jwt-bearer assertion) into the struct of the claims the
// issuer reads: member names match exactly, so "SID" or "Sid" is never
// read as "sid", and a token that repeats a claim or carries a case
// variant of one the struct names is refused rather than read one way
// here and another by a verifier that takes the exact or the first
// member. Other members are allowed: a token may carry claims the issuer
// does not read. [DecodeClaims] decodes as it does.
var ClaimsDecoder = envelope.Decoder{AllowUnknownFields: true}

// errClaims is DecodeClaims' refusal of a claim set ClaimsDecoder would
// refuse.
var errClaims = errors.New("claims are not a claim set of this shape")

// DecodeClaims decodes the JSON claims raw into dst, a pointer to a
// struct, exactly as ClaimsDecoder.Unmarshal does: it succeeds and fails
// on the same texts and leaves dst as it would. A struct whose JSON fields
// are all strings, integers, *string or json.RawMessage (the claim structs
// of the issuer and the token endpoint) is decoded by compact.DecodeStrict
// into slots, without encoding/json's reflection per member; any other
// goes to ClaimsDecoder. String fields may share raw's memory: raw must not
// be modified afterwards.
func DecodeClaims(raw []byte, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ClaimsDecoder.Unmarshal(raw, dst)
	}
	plan := planFor(v.Elem().Type())
	if plan == nil {
		return ClaimsDecoder.Unmarshal(raw, dst)
	}
	var slots [16]compact.Value
	var vals []compact.Value
	if n := plan.names.Len(); n <= len(slots) {
		vals = slots[:n]
	} else {
		vals = make([]compact.Value, n)
	}
	isNull, st := compact.DecodeStrict(raw, plan.names, vals)
	if st != compact.StrictOK {
		return errClaims
	}
	if isNull {
		return errClaims // not an object, as ClaimsDecoder refuses it
	}
	s := v.Elem()
	for i, f := range plan.fields {
		if c := vals[i]; c.Kind != compact.Absent && !f.set(s.Field(f.index), raw, c) {
			return errClaims
		}
	}
	return nil
}

// A claimsPlan is how DecodeClaims fills a struct type: the JSON names of
// its fields, and each one's field.
type claimsPlan struct {
	names  *compact.Names
	fields []planField // by index in names
}

// A planField is one struct field and the way its value is set.
type planField struct {
	index int // in the struct
	kind  fieldKind
}

type fieldKind uint8

const (
	fieldString    fieldKind = iota // a string kind
	fieldInt                        // a signed integer kind
	fieldStringPtr                  // *string
	fieldRaw                        // json.RawMessage
)

// set sets f to the claim c, read from raw, as encoding/json decodes it
// into the field's type, and reports false for a claim of another type.
func (p planField) set(f reflect.Value, raw []byte, c compact.Value) bool {
	if p.kind == fieldRaw {
		// RawMessage's UnmarshalJSON, null included.
		f.SetBytes(append(f.Bytes()[:0], c.Text(raw)...))
		return true
	}
	if c.Kind == compact.Null {
		if p.kind == fieldStringPtr {
			f.SetZero()
		}
		return true // a null leaves a value field as it is
	}
	switch p.kind {
	case fieldString:
		if c.Kind != compact.String {
			return false
		}
		f.SetString(c.Str(raw))
	case fieldStringPtr:
		if c.Kind != compact.String {
			return false
		}
		if f.IsNil() {
			f.Set(reflect.New(f.Type().Elem()))
		}
		f.Elem().SetString(c.Str(raw))
	case fieldInt:
		if c.Kind != compact.Number {
			return false
		}
		n, err := strconv.ParseInt(string(c.Text(raw)), 10, 64)
		if err != nil || f.OverflowInt(n) {
			return false
		}
		f.SetInt(n)
	}
	return true
}

var plans sync.Map // reflect.Type → *claimsPlan, nil when not supported

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawMessage      = reflect.TypeFor[json.RawMessage]()
	jsonNumber      = reflect.TypeFor[json.Number]()
)

// planFor returns the plan of struct type t, or nil when DecodeClaims
// leaves t to ClaimsDecoder: a type that decodes itself, an embedded or
// otherwise unsupported field (json.Number among them), a ",string" option, a required field
// (`envelope:"required"`), a tag name encoding/json might not take as it
// is, or two field names equal when case is ignored.
func planFor(t reflect.Type) *claimsPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*claimsPlan)
	}
	p := buildPlan(t)
	plans.Store(t, p)
	return p
}

func buildPlan(t reflect.Type) *claimsPlan {
	if implementsDecoder(t) {
		return nil
	}
	var names []string
	var fields []planField
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil
		}
		if !sf.IsExported() {
			continue
		}
		if sf.Tag.Get("envelope") != "" {
			return nil
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",string,") {
			return nil
		}
		if name == "" {
			name = sf.Name
		} else if !plainTagName(name) {
			return nil
		}
		var kind fieldKind
		ft := sf.Type
		switch {
		case ft == rawMessage:
			kind = fieldRaw
		case ft == jsonNumber || implementsDecoder(ft):
			return nil // a Number takes a JSON number as its text
		case ft.Kind() == reflect.String:
			kind = fieldString
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Int64:
			kind = fieldInt
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.String && !implementsDecoder(ft.Elem()):
			kind = fieldStringPtr
		default:
			return nil
		}
		for _, n := range names {
			if strings.EqualFold(n, name) {
				return nil
			}
		}
		names = append(names, name)
		fields = append(fields, planField{index: i, kind: kind})
	}
	return &claimsPlan{names: compact.NewNames(names...), fields: fields}
}

// implementsDecoder reports whether t or *t decodes itself from JSON or
// text.
func implementsDecoder(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || p.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || p.Implements(textUnmarshaler)
}

// plainTagName reports whether a json tag name is one encoding/json takes
// as it is: letters, digits and a few punctuation marks.
func plainTagName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.:#$", c) >= 0) {
			return false
		}
	}
	return s != ""
}
