package redisstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// timeLayout renders an instant in UTC at a fixed width for years 0001 to
// 9999, so that Lua scripts can order stored times by comparing strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// encTime returns t in timeLayout; the zero time is "", which sorts before
// every instant.
func encTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// decTime parses what encTime wrote.
func decTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("redisstore: corrupt time %q", s)
	}
	return t, nil
}

// encStrings returns a JSON array of ss ("" for none).
func encStrings(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	b, _ := json.Marshal(ss) // []string always marshals
	return string(b)
}

// decStrings parses what encStrings wrote; a fresh slice every call.
func decStrings(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("redisstore: corrupt string list: %w", err)
	}
	return ss, nil
}

// timeFields decodes the named time fields of m into the given pointers,
// returning the first corrupt one's error.
func timeFields(m map[string]string, dst map[string]*time.Time) error {
	for name, p := range dst {
		t, err := decTime(m[name])
		if err != nil {
			return err
		}
		*p = t
	}
	return nil
}
