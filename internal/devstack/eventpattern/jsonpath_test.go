package eventpattern

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestLookup(t *testing.T) {
	var event any
	if err := json.Unmarshal([]byte(`{
		"detail": {"instance-id": "i-0123456789", "state": "RUNNING", "c_count": 5, "a/b": true, "né": "x"},
		"body": {"Records": [{"id": "r0"}, {"id": "r1", "tags": ["t0", "t1"]}]},
		"nothing": null
	}`), &event); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		path   string
		want   any
		wantOK bool
	}{
		{"reads a nested string with a dash in its name", "$.detail.instance-id", "i-0123456789", true},
		{"reads a name with an underscore", "$.detail.c_count", 5.0, true},
		{"reads a name with a forward slash", "$.detail.a/b", true, true},
		{"reads a name with a non-ASCII letter", "$.detail.né", "x", true},
		{"reads an array element with brackets", "$.body.Records[1].id", "r1", true},
		{"reads an element of a nested array", "$.body.Records[1].tags[0]", "t0", true},
		{"reads a whole object", "$.body.Records[0]", map[string]any{"id": "r0"}, true},
		{"reads the whole event with $", "$", event, true},
		{"reads a null that is present", "$.nothing", nil, true},
		{"reports an absent key", "$.detail.missing", nil, false},
		{"reports an index past the end", "$.body.Records[2]", nil, false},
		{"reports a key on a string", "$.detail.state.x", nil, false},
		{"reports an index on an object", "$.detail[0]", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := Lookup(event, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantOK || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tc.path, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestLookupRejectsUnsupportedPaths(t *testing.T) {
	for _, path := range []string{
		"", "detail", "$detail", "$.", "$..detail", "$.detail.*", "$.a[*]", "$.a[-1]",
		"$.a[]", "$['a']", "$.a[0", "$.a b", "$.a.b.", "$.a[1x]",
	} {
		t.Run("rejects "+path, func(t *testing.T) {
			_, _, err := Lookup(map[string]any{}, path)
			if !errors.Is(err, ErrInvalidPath) {
				t.Errorf("Lookup(%q) error = %v, want ErrInvalidPath", path, err)
			}
		})
	}
}
