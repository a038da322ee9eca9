// Package contract holds the OpenAPI 3 document of the public HTTP contract
// and checks responses against it. The integration tests pass every response
// through Check, so the code cannot drift from the document unnoticed.
package contract

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document as JSON.
func Document() []byte { return document }

// Spec is a parsed OpenAPI document.
type Spec struct {
	paths   map[string]map[string]any
	schemas map[string]any
}

// Load parses the embedded document.
func Load() (*Spec, error) {
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(document, &doc); err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	return &Spec{paths: doc.Paths, schemas: doc.Components.Schemas}, nil
}

// Operations lists "METHOD /path" for every operation, sorted.
func (s *Spec) Operations() []string {
	var ops []string
	for path, item := range s.paths {
		for method := range item {
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

// Has reports whether the document describes method and path.
func (s *Spec) Has(method, path string) bool {
	_, ok := s.paths[path][strings.ToLower(method)]
	return ok
}

// Check verifies that the document declares status for the operation and,
// when a body is given, that its media type is declared and the body matches
// the schema.
func (s *Spec) Check(method, path string, status int, contentType string, body []byte) error {
	op, ok := s.paths[path][strings.ToLower(method)].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s is not in the OpenAPI document", method, path)
	}
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s answered %d, which the OpenAPI document does not declare", method, path, status)
	}
	if len(body) == 0 {
		return nil
	}
	content, _ := resp["content"].(map[string]any)
	mt, _, _ := mime.ParseMediaType(contentType)
	media, ok := content[mt].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s %d: content type %q is not declared", method, path, status, mt)
	}
	if !strings.HasSuffix(mt, "json") {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("%s %s %d: body is not JSON: %w", method, path, status, err)
	}
	if err := s.validate(media["schema"], v, "body"); err != nil {
		return fmt.Errorf("%s %s %d: %w", method, path, status, err)
	}
	return nil
}

// validate checks v against the subset of JSON Schema the document uses.
func (s *Spec) validate(schema any, v any, at string) error {
	sc, ok := schema.(map[string]any)
	if !ok {
		return nil
	}
	if ref, ok := sc["$ref"].(string); ok {
		return s.validate(s.schemas[strings.TrimPrefix(ref, "#/components/schemas/")], v, at)
	}
	if v == nil {
		if sc["nullable"] == true {
			return nil
		}
		return fmt.Errorf("%s is null", at)
	}
	if alts, ok := sc["oneOf"].([]any); ok {
		for _, alt := range alts {
			if s.validate(alt, v, at) == nil {
				return nil
			}
		}
		return fmt.Errorf("%s matches none of oneOf", at)
	}
	if enum, ok := sc["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if e == v {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s = %v is not one of %v", at, v, enum)
		}
	}
	switch sc["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is not an object", at)
		}
		props, _ := sc["properties"].(map[string]any)
		req, _ := sc["required"].([]any)
		for _, r := range req {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s lacks required %q", at, r)
			}
		}
		var errs []error
		for k, val := range obj {
			if p, ok := props[k]; ok {
				errs = append(errs, s.validate(p, val, at+"."+k))
				continue
			}
			switch ap := sc["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Errorf("%s has undeclared property %q", at, k))
				}
			case map[string]any:
				errs = append(errs, s.validate(ap, val, at+"."+k))
			}
		}
		return errors.Join(errs...)
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s is not an array", at)
		}
		for i, item := range arr {
			if err := s.validate(sc["items"], item, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s is not a string", at)
		}
		if sc["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				return fmt.Errorf("%s = %q is not a date-time", at, str)
			}
		}
	case "integer":
		n, ok := v.(float64)
		if !ok || n != float64(int64(n)) {
			return fmt.Errorf("%s is not an integer", at)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%s is not a number", at)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s is not a boolean", at)
		}
	}
	return nil
}
