package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// DefaultMaxBodyBytes is the body size cap of the zero [Decoder].
const DefaultMaxBodyBytes = 64 << 10

// A Decoder reads a JSON request body strictly into a struct. Its zero value
// is ready to use with the defaults documented on each field; it is safe for
// concurrent use.
//
// Failures are *Error values ready for [Write]:
//
//	wrong or missing Content-Type              415 ErrUnsupportedMediaType
//	body larger than MaxBytes                  413 ErrPayloadTooLarge
//	empty body, malformed JSON, trailing data  400 ErrSyntax
//	missing required field, wrong type,
//	unknown field, duplicate field,
//	body not an object                         400 ErrValidation naming the field
//
// Unlike encoding/json alone, the Decoder matches member names exactly (a
// member that matches a field only when case is ignored is an unknown
// field) and refuses a member name given twice in one object, so that a
// body cannot mean one thing to a proxy or log reader that takes the first
// or exact-case member and another to the handler.
//
// Messages name fields, never the values a client submitted.
type Decoder struct {
	// MaxBytes caps the body. Default: DefaultMaxBodyBytes.
	MaxBytes int64
	// AllowUnknownFields accepts object members dst has no field for,
	// which are otherwise a validation error. Default: false.
	AllowUnknownFields bool
}

// Decode reads r's body into dst, a pointer to a struct, with the zero
// [Decoder]. Struct fields tagged `envelope:"required"` must be present and
// non-zero: an empty string, an empty array and an empty object count as
// missing. A pointer field is present when it is not nil, whatever it
// points to ({"name":""} sets a *string), so that a handler can tell an
// empty value from an absent one and validate it itself.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	return Decoder{}.Decode(w, r, dst)
}

// Decode reads r's body into dst, a pointer to a struct. w is used to cap
// the body with [http.MaxBytesReader] (it may be nil). On error dst may be
// partly filled and must not be used.
func (d Decoder) Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if v := reflect.ValueOf(dst); v.Kind() != reflect.Pointer || v.IsNil() {
		return ErrInternal.WithCause(errors.New("envelope: Decode needs a non-nil pointer"))
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		return ErrUnsupportedMediaType.ptr()
	}
	max := d.MaxBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	if r.ContentLength > max {
		return ErrPayloadTooLarge.ptr()
	}
	if r.Body == nil || r.Body == http.NoBody {
		return ErrSyntax.WithMessage("Request body is empty")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		if e := sizeError(err); e != nil {
			return e
		}
		return ErrSyntax.WithMessage("Request body could not be read")
	}
	return d.Unmarshal(raw, dst)
}

// Unmarshal decodes the JSON text data into dst, a pointer to a struct,
// with the rules Decode applies to a body once read: exactly one JSON
// value, member names matched exactly (a member that matches a field only
// when case is ignored is an unknown field, refused even with
// AllowUnknownFields), no member name twice in one object, unknown
// members refused unless AllowUnknownFields, `envelope:"required"` fields
// present. MaxBytes does not apply. Use it for JSON that does not come
// from a request body, such as the verified claims of a token, so that
// {"sid":"a","SID":"b"} or a lone "SID" can never reach a "sid" field.
// Failures are the *Error values Decode returns; on error dst may be
// partly filled and must not be used.
func (d Decoder) Unmarshal(data []byte, dst any) error {
	if v := reflect.ValueOf(dst); v.Kind() != reflect.Pointer || v.IsNil() {
		return ErrInternal.WithCause(errors.New("envelope: Unmarshal needs a non-nil pointer"))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if !d.AllowUnknownFields {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if isNull(data) {
		// encoding/json takes null as "leave dst alone".
		return ErrValidation.WithMessage("Request body must be a JSON object")
	}
	// Exactly one JSON value: anything but EOF after it is trailing data.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ErrSyntax.WithMessage("Unexpected data after JSON body")
	}
	// The text is one valid JSON value: now refuse the ambiguous members
	// encoding/json accepted.
	if e := checkMembers(data, reflect.TypeOf(dst)); e != nil {
		return e
	}
	return checkRequired(dst)
}

// isNull reports whether the JSON text data, one valid value, is null.
func isNull(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("null"))
}

func sizeError(err error) *Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return ErrPayloadTooLarge.ptr()
	}
	return nil
}

func decodeError(err error) error {
	if e := sizeError(err); e != nil {
		return e
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return ErrSyntax.WithMessage("Request body is empty")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return ErrValidation.WithMessage("Request body must be a JSON object")
		}
		return ErrValidation.WithField(typeErr.Field).WithMessage("Invalid type for field: " + typeErr.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if !safeFieldName(name) {
			return ErrValidation.WithMessage("Unknown field in request body")
		}
		return ErrValidation.WithField(name).WithMessage("Unknown field: " + name)
	default:
		// json.SyntaxError, io.ErrUnexpectedEOF, invalid UTF-8 and the like.
		return ErrSyntax.ptr()
	}
}

// safeFieldName reports whether a client-supplied member name is short and
// plain enough to repeat in a message.
func safeFieldName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isJSONContentType(v string) bool {
	if v == "" {
		return false
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

func checkRequired(dst any) error {
	v := reflect.ValueOf(dst).Elem()
	if v.Kind() != reflect.Struct {
		return nil
	}
	for _, f := range fieldsOf(v.Type()).required {
		// A nil embedded pointer leaves its fields out altogether.
		if fv, err := v.FieldByIndexErr(f.index); err != nil || fv.IsZero() || isEmptyCollection(fv) {
			return ErrValidation.WithField(f.name).WithMessage("Missing required field: " + f.name)
		}
	}
	return nil
}

func isEmptyCollection(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return false
}
