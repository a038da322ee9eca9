package settings_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/openreg/registration/internal/settings"
)

// The settings document's JSON Schema (infra/settings.schema.json) is what
// operators' editors check a document against; these tests keep it and the
// Go validation in step.

func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("..", "..", "infra", "settings.schema.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jsonschema.CompileString("settings.schema.json", string(b))
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) error {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

func TestSchema(t *testing.T) {
	s := schema(t)
	for _, file := range []string{"settings.example.json", filepath.Join("local", "settings.json")} {
		t.Run("the schema accepts infra/"+file+", which the service accepts too", func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("..", "..", "infra", file))
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, s, doc); err != nil {
				t.Errorf("schema: %v", err)
			}
			if _, err := settings.Parse(doc); err != nil {
				t.Errorf("service: %v", err)
			}
		})
	}
	t.Run("the schema accepts every key of the defaults written out, so it knows every setting", func(t *testing.T) {
		doc, err := json.Marshal(settings.Default())
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, s, doc); err != nil {
			t.Errorf("the defaults as JSON do not pass the schema: %v", err)
		}
	})
	refused := []struct{ name, doc, want string }{
		{"an unknown key", `{"storeNme": "x"}`, "additionalProperties"},
		{"an unknown registration type", `{"registrationType": "Open"}`, "registrationType"},
		{"a duration that is not one", `{"sessionLifetime": "a day"}`, "sessionLifetime"},
		{"a limit with a negative max", `{"clientLimits": {"register": {"max": -1, "window": "1h"}}}`, "max"},
		{"an unknown profile field", `{"fields": {"shoeSize": {"enabled": true}}}`, "fields"},
		{"a login path that leaves the site", `{"urls": {"loginPath": "//evil.example"}}`, "loginPath"},
	}
	for _, tt := range refused {
		t.Run("the schema and the service both refuse "+tt.name, func(t *testing.T) {
			err := validate(t, s, []byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("schema: got %v, want an error about %s", err, tt.want)
			}
			if _, err := settings.Parse([]byte(tt.doc)); err == nil {
				t.Error("the service accepted it")
			}
		})
	}
}
