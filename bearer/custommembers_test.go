package bearer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type memberBase struct {
	Tenant string `json:"tenant"`
	Org    string
}

type memberClaims struct {
	memberBase
	Sub     string
	Role    string   `json:"role"`
	Roles   []string `json:"roles"`
	Addr    *struct{ City string }
	Labels  map[string]string `json:"labels"`
	Any     any               `json:"any"`
	When    time.Time         `json:"when"`
	Ignored string            `json:"-"`
	Org2    string            `json:"org"` // hides the embedded Org's exact name, not its fold
}

func TestCheckAmbiguous(t *testing.T) {
	typ := reflect.TypeFor[memberClaims]()
	for raw, ambiguous := range map[string]bool{
		`{"role":"a","sub":"s","SUB2":1}`:                               false,
		`{"role":"a","ROLE":"b"}`:                                       true,
		`{"role":"a","role":"b"}`:                                       true,
		`{"r\u006fle":"a","role":"b"}`:                                  true,
		`{"sub":"a","Sub":"b"}`:                                         true,
		`{"tenant":"a","TENANT":"b"}`:                                   true, // promoted from the embedded struct
		`{"addr":{"city":"a","CITY":"b"}}`:                              true,
		`{"addr":{"city":"a","town":"b","TOWN":"c"}}`:                   false, // not fields
		`{"labels":{"a":"1","A":"2"}}`:                                  false, // map keys are exact
		`{"labels":{"a":"1","a":"2"}}`:                                  true,
		`{"any":{"x":[{"k":1,"k":2}]}}`:                                 true,
		`{"any":{"x":[{"k":1,"K":2}]}}`:                                 false,
		`{"roles":["a","A"],"other":{"x":1,"X":2}}`:                     false,
		`{"-":"a","Ignored":"b","ignored":"c"}`:                         false,
		`{"when":"2026-01-01T00:00:00Z","WHEN":"2026-01-02T00:00:00Z"}`: true,
		`{"Org":"a","ORG":"b"}`:                                         true, // both into the embedded Org, first in field order
		`{"org":"a","Org":"b"}`:                                         false,
		`null`:                                                          false,
		`{}`:                                                            false,
	} {
		var c memberClaims
		require.NoError(t, json.Unmarshal([]byte(raw), &c), raw)
		err := checkAmbiguous([]byte(raw), typ)
		if ambiguous {
			assert.ErrorIs(t, err, errAmbiguousClaims, raw)
		} else {
			assert.NoError(t, err, raw)
		}
	}
	// Many members: the set takes over from the scan.
	var b strings.Builder
	b.WriteString(`{"labels":{`)
	for i := range 40 {
		b.WriteString(`"k` + strings.Repeat("x", i) + `":"v",`)
	}
	b.WriteString(`"k":"v"}}`)
	assert.ErrorIs(t, checkAmbiguous([]byte(b.String()), typ), errAmbiguousClaims)
}

func TestDeepCopy(t *testing.T) {
	orig := &memberClaims{
		memberBase: memberBase{Tenant: "t"},
		Role:       "user", Roles: []string{"user"},
		Addr:   &struct{ City string }{"Paris"},
		Labels: map[string]string{"a": "1"},
		Any:    map[string]any{"x": []any{"y", map[string]any{"z": 1.0}}},
	}
	c := deepCopy(orig)
	require.Equal(t, orig, c)
	c.Role, c.Roles[0], c.Addr.City, c.Labels["a"], c.Tenant = "admin", "admin", "Rome", "2", "u"
	c.Any.(map[string]any)["x"].([]any)[1].(map[string]any)["z"] = 2.0
	assert.Equal(t, &memberClaims{
		memberBase: memberBase{Tenant: "t"},
		Role:       "user", Roles: []string{"user"},
		Addr:   &struct{ City string }{"Paris"},
		Labels: map[string]string{"a": "1"},
		Any:    map[string]any{"x": []any{"y", map[string]any{"z": 1.0}}},
	}, orig, "the original is untouched")
	empty := deepCopy(&memberClaims{})
	assert.Equal(t, &memberClaims{}, empty, "nil slices, maps and pointers stay nil")
}

// FuzzCheckAmbiguous checks that the scanner never panics on JSON that
// encoding/json accepts, and always finds a member repeated verbatim in
// the top-level object.
func FuzzCheckAmbiguous(f *testing.F) {
	for _, s := range []string{`{"role":"a","ROLE":"b"}`, `{"any":{"x":[1,{"y":"\u00e9"}]}}`, `{"labels":{"a":"1"}}`, `{"addr":{"city":"x"}}`} {
		f.Add(s)
	}
	typ := reflect.TypeFor[memberClaims]()
	f.Fuzz(func(t *testing.T, raw string) {
		var c memberClaims
		if json.Unmarshal([]byte(raw), &c) != nil {
			return
		}
		_ = checkAmbiguous([]byte(raw), typ)
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &m) != nil || len(m) == 0 || !strings.HasSuffix(raw, "}") {
			return
		}
		var name string
		for k := range m {
			name = k
			break
		}
		key, _ := json.Marshal(name)
		dup := raw[:len(raw)-1] + "," + string(key) + ":null}"
		if json.Unmarshal([]byte(dup), &c) == nil {
			if err := checkAmbiguous([]byte(dup), typ); err == nil && matchMember(structMembers(typ), []byte(name)) >= 0 {
				t.Fatalf("%s: a repeated field member not found", dup)
			}
		}
	})
}
