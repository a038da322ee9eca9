// Package contract holds the OpenAPI 3 document of the public HTTP contract
// and checks responses against it. The integration tests pass every response
// through Check, so the code cannot drift from the document unnoticed. The
// document itself and each body are validated by kin-openapi (schemas, $ref,
// oneOf, enums, required and undeclared properties, formats such as
// date-time).
package contract

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"mime"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document as JSON.
func Document() []byte { return document }

// Spec is a parsed and validated OpenAPI document.
type Spec struct {
	doc *openapi3.T
}

// Load parses the embedded document and validates it as OpenAPI 3.
func Load() (*Spec, error) {
	doc, err := openapi3.NewLoader().LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("contract: the OpenAPI document is not valid: %w", err)
	}
	return &Spec{doc: doc}, nil
}

// Operations lists "METHOD /path" for every operation, sorted.
func (s *Spec) Operations() []string {
	var ops []string
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

func (s *Spec) operation(method, path string) *openapi3.Operation {
	item := s.doc.Paths.Value(path)
	if item == nil {
		return nil
	}
	return item.GetOperation(strings.ToUpper(method))
}

// Has reports whether the document describes method and path.
func (s *Spec) Has(method, path string) bool { return s.operation(method, path) != nil }

// Check verifies that the document declares status for the operation and,
// when a body is given, that its media type is declared and the body matches
// the schema, formats included.
func (s *Spec) Check(method, path string, status int, contentType string, body []byte) error {
	op := s.operation(method, path)
	if op == nil {
		return fmt.Errorf("%s %s is not in the OpenAPI document", method, path)
	}
	resp := op.Responses.Value(fmt.Sprint(status))
	if resp == nil || resp.Value == nil {
		return fmt.Errorf("%s %s answered %d, which the OpenAPI document does not declare", method, path, status)
	}
	if len(body) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	media := resp.Value.Content.Get(mt)
	if media == nil || resp.Value.Content[mt] == nil {
		return fmt.Errorf("%s %s %d: content type %q is not declared", method, path, status, mt)
	}
	if !strings.HasSuffix(mt, "json") || media.Schema == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("%s %s %d: body is not JSON: %w", method, path, status, err)
	}
	if err := media.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return fmt.Errorf("%s %s %d: %w", method, path, status, err)
	}
	return nil
}
