package bearer

import "reflect"

// deepCopy returns a deep copy of c for [CustomFrom].
func deepCopy[C any](c *C) *C {
	n := new(C)
	copyInto(reflect.ValueOf(n).Elem(), reflect.ValueOf(c).Elem(), 0)
	return n
}

// copyInto sets dst, a settable value of src's type, to a deep copy of
// src: pointers, slices, maps, arrays, interfaces and the exported fields
// of structs are copied all the way down, so that nothing changed through
// dst reaches src, the exported fields of embedded structs of unexported
// types included. Other unexported struct fields are copied as they are
// (shallowly): a type whose unexported fields hold pointers, slices or
// maps (set by its own UnmarshalJSON) shares what they refer to. Past
// maxMemberDepth levels, deeper than encoding/json decodes, values are
// shared too, so a cycle a validation function built cannot loop forever.
func copyInto(dst, src reflect.Value, depth int) {
	if depth > maxMemberDepth {
		dst.Set(src)
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.New(src.Type().Elem())
		copyInto(n.Elem(), src.Elem(), depth+1)
		dst.Set(n)
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.New(src.Elem().Type()).Elem()
		copyInto(n, src.Elem(), depth+1)
		dst.Set(n)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		dst.SetZero()
		dst.Grow(src.Len()) // the one allocation: dst is settable in place
		dst.SetLen(src.Len())
		if flat(src.Type().Elem()) {
			reflect.Copy(dst, src)
			return
		}
		for i := range src.Len() {
			copyInto(dst.Index(i), src.Index(i), depth+1)
		}
	case reflect.Array:
		dst.Set(src)
		if !flat(src.Type().Elem()) {
			for i := range src.Len() {
				copyInto(dst.Index(i), src.Index(i), depth+1)
			}
		}
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.MakeMapWithSize(src.Type(), src.Len())
		elem := src.Type().Elem()
		for it := src.MapRange(); it.Next(); {
			v := it.Value()
			if !flat(elem) {
				c := reflect.New(elem).Elem()
				copyInto(c, v, depth+1)
				v = c
			}
			n.SetMapIndex(it.Key(), v)
		}
		dst.Set(n)
	case reflect.Struct:
		dst.Set(src) // unexported fields as they are
		copyFields(dst, src, depth)
	default:
		dst.Set(src)
	}
}

// copyFields replaces the exported fields of the struct dst, already a
// shallow copy of src, with deep copies of src's. An embedded struct of
// an unexported type is an unexported field whose exported fields
// encoding/json fills all the same (they are promoted): they are copied
// too, as reflection lets them be set.
func copyFields(dst, src reflect.Value, depth int) {
	for i := range src.NumField() {
		f := dst.Field(i)
		switch {
		case f.CanSet():
			if !flat(f.Type()) {
				copyInto(f, src.Field(i), depth+1)
			}
		case f.Kind() == reflect.Struct && dst.Type().Field(i).Anonymous && depth < maxMemberDepth:
			copyFields(f, src.Field(i), depth+1)
		}
	}
}

// flat reports whether values of type t hold no reference to share.
func flat(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	}
	return false
}
