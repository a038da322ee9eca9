// Package contract holds the OpenAPI 3 document of the public HTTP contract
// and checks responses against it. The integration tests pass every response
// through Check, so the code cannot drift from the document unnoticed. The
// document itself and each answer are validated by kin-openapi (openapi3filter:
// declared statuses and content types; schemas, $ref,
// oneOf, enums, required and undeclared properties, formats such as
// date-time).
package contract

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document as JSON.
func Document() []byte { return document }

// The pages (the confirm, reset and address-change forms) are text/html,
// which openapi3filter checks as text once it has a decoder for it.
func init() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder) }

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

// Check verifies, with kin-openapi's openapi3filter, that the document
// declares status for the operation (method and path template) and, when a
// body is given, that its media type is declared and the body matches the
// schema, formats included.
func (s *Spec) Check(method, path string, status int, contentType string, body []byte) error {
	op := s.operation(method, path)
	if op == nil {
		return fmt.Errorf("%s %s is not in the OpenAPI document", method, path)
	}
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		return err
	}
	header := http.Header{}
	if contentType != "" {
		header.Set("Content-Type", contentType)
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req,
			Route:   &routers.Route{Spec: s.doc, Path: path, PathItem: s.doc.Paths.Value(path), Method: method, Operation: op},
		},
		Status: status,
		Header: header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true, // a status the operation does not declare is an error, not "default"
			MultiError:            true,
		},
	})
	if err != nil {
		return fmt.Errorf("%s %s %d: %w", method, path, status, err)
	}
	return nil
}
