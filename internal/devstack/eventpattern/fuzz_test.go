package eventpattern

import (
	"bytes"
	"encoding/json"
	"testing"
)

// seedPatterns are valid and invalid patterns for the fuzzers to start from.
var seedPatterns = []string{
	outboxFilter,
	eventsFilter,
	`{"source":["aws.ec2"],"detail":{"state":["terminated",null,true,3.0]}}`,
	`{"a":[{"prefix":"x"},{"suffix":{"equals-ignore-case":"Y"}},{"equals-ignore-case":"z"}]}`,
	`{"a":[{"wildcard":"*x\\*y*"},{"cidr":"10.0.0.0/8"},{"cidr":"2001:db8::/32"}]}`,
	`{"a":[{"numeric":[">",0,"<=",5]},{"numeric":["=",3]}],"b":[{"exists":false}]}`,
	`{"a":[{"anything-but":["x","y"]},{"anything-but":{"wildcard":["*a","b*"]}}]}`,
	`{"$or":[{"a":["x"]},{"b":{"c":[{"anything-but":{"prefix":"p"}}]}}]}`,
	`{"a":[]}`,
	`{"a":[{"numeric":[">",5,"<",1]}]}`,
}

func readSeedEvents(f *testing.F) [][]byte {
	f.Helper()
	return append([][]byte{sampleRecord(f, messageRecord), sampleRecord(f, eventRecord)},
		[]byte(ec2Event),
		[]byte(`{"a":[1,"x",null,true,{"b":[{"c":"10.0.0.1"}]}],"b":{"c":[[]]}}`),
		[]byte(`{"a":"é","b":1e400,"c":-0,"d":{"e":[[{"f":"g"}]]}}`),
	)
}

// FuzzCompile checks that Compile never panics, and that a pattern it
// accepts never panics matching any input.
func FuzzCompile(f *testing.F) {
	events := readSeedEvents(f)
	for i, p := range seedPatterns {
		f.Add(p, events[i%len(events)])
	}
	f.Fuzz(func(t *testing.T, pattern string, event []byte) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		_, _ = p.Match(event)
		_, _ = Render(pattern, event)
	})
}

// FuzzMatchExact checks a property: a pattern made of an event's own leaf
// values, as exact matches, always matches that event.
func FuzzMatchExact(f *testing.F) {
	for _, e := range readSeedEvents(f) {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, event []byte) {
		v, err := decodeEvent(event)
		if err != nil {
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		pat, ok := exactPattern(obj, 0)
		if !ok {
			return
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(pat); err != nil {
			t.Fatal(err)
		}
		p, err := Compile(b.String())
		if err != nil {
			t.Fatalf("Compile(%s) of event %s: %v", b.String(), event, err)
		}
		got, err := p.Match(event)
		if err != nil || !got {
			t.Fatalf("pattern %s on its own event %s: got %v, %v; want true", b.String(), event, got, err)
		}
	})
}

// exactPattern builds a pattern from an event object: each leaf becomes
// [leaf]; a nested object becomes a nested pattern; an array contributes
// its first element that yields something, which keeps every field of a
// nested pattern in one array element. ok is false when nothing is left.
// "$or" keys are skipped: in a pattern "$or" is the or primitive. Objects
// nested deeper than Compile accepts are left out.
func exactPattern(obj map[string]any, depth int) (map[string]any, bool) {
	pat := map[string]any{}
	if depth > maxDepth/2 {
		return pat, false
	}
	for k, v := range obj {
		if k == orKey {
			continue
		}
		if sub, ok := exactValue(v, depth+1); ok {
			pat[k] = sub
		}
	}
	return pat, len(pat) > 0
}

func exactValue(v any, depth int) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return exactPattern(t, depth)
	case []any:
		for _, e := range t {
			if sub, ok := exactValue(e, depth); ok {
				return sub, true
			}
		}
		return nil, false
	default:
		return []any{t}, true
	}
}
