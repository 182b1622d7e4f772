package compact

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkDecodeStrictDeep: duplicate-name checking stays linear in the
// nesting depth (each level used to be scanned again at every depth).
func BenchmarkDecodeStrictDeep(b *testing.B) {
	for _, depth := range []int{10, 1000, 9999} {
		doc := []byte(`{"x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `,"y":{"a":{"b":1,"a":2}}}`)
		b.Run(strconv.Itoa(depth), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				uniqueNames(doc)
			}
		})
	}
}

func TestUniqueNamesNested(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"a":1,"b":{"a":1}}`:                   true,
		`{"a":1,"a":2}`:                         false,
		`{"a":{"b":1,"b":2}}`:                   false,
		`{"a":[{"b":1},{"b":2}]}`:               true,
		`{"a":[{"b":1,"c":[1,{"b":3,"b":4}]}]}`: false,
		`{"a\u0062":1,"ab":2}`:                  false,
		`{"k":"a","a":"k"}`:                     true,
		`{"x":"{\"a\":1,\"a\":2}"}`:             true,
		`[{"a":1},{"a":1,"a":2}]`:               false,
	} {
		if got := uniqueNames([]byte(doc)); got != want {
			t.Errorf("uniqueNames(%s) = %v, want %v", doc, got, want)
		}
	}
	many := `{"o":{` // more than 16 names: the map
	for i := range 40 {
		many += `"n` + strconv.Itoa(i) + `":1,`
	}
	if !uniqueNames([]byte(many+`"n40":1}}`)) || uniqueNames([]byte(many+`"n7":1}}`)) {
		t.Error("names past the 16th are checked too")
	}
}
