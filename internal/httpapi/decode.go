package httpapi

// Decoding request bodies strictly, every problem named by its field.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/openreg/registration/internal/apperr"
)

// decodeJSON reads the body strictly into dst: JSON only, at most MaxBody,
// one object, no unknown fields, every type mismatch named by its field.
func (r *Request) decodeJSON(dst any) error {
	if err := r.checkBody(); err != nil {
		return err
	}
	if !isJSON(r.mediaType()) {
		return apperr.New(apperr.UnsupportedMediaType, "Send the body as application/json.")
	}
	return decodeStrict(r.Body, dst)
}

func decodeStrict(body []byte, dst any) error {
	// JSON null decodes into a struct as if nothing were sent; a body that
	// is not an object is refused like any other.
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return apperr.New(apperr.MalformedBody, "The body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return apperr.New(apperr.MalformedBody, "The body must hold exactly one JSON object.")
		}
		return refuseNulls(body, dst)
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apperr.New(apperr.MalformedBody, "The body must be a JSON object.")
		}
		return apperr.Invalid([]apperr.FieldError{{Field: field, Code: "invalid_type",
			Message: fmt.Sprintf("%s must be of type %s.", field, jsonType(typeErr.Type.Kind().String()))}})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &apperr.Error{Code: apperr.UnknownField, Message: fmt.Sprintf("Unknown field %q.", name),
			Fields: []apperr.FieldError{{Field: name, Code: "unknown_field", Message: "This field is not part of the request."}}}
	case errors.As(err, &syntaxErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.MalformedBody, "The body is not valid JSON.")
	default:
		var fe *fieldError
		if errors.As(err, &fe) {
			return apperr.Invalid([]apperr.FieldError{{Field: fe.field, Code: "invalid_type", Message: fe.msg}})
		}
		return apperr.New(apperr.MalformedBody, "The body is not valid JSON.")
	}
}

// refuseNulls refuses a JSON null in a field that is not nullable: null
// decodes into a string, number, list or map as if the field were absent,
// so "captchaToken": null would pass for a missing token. A field whose Go
// type is a pointer takes null (as absent), as the document says of it.
func refuseNulls(body []byte, dst any) error {
	t := reflect.TypeOf(dst)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct || !bytes.Contains(body, []byte("null")) {
		return nil // the common body holds no null: it is not read twice
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil
	}
	var problems []apperr.FieldError
	for i := range t.Elem().NumField() {
		f := t.Elem().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || f.Type.Kind() == reflect.Pointer {
			continue
		}
		// encoding/json matches keys regardless of case; so does this.
		for key, raw := range fields {
			if strings.EqualFold(key, name) && bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
				problems = append(problems, apperr.FieldError{Field: name, Code: "invalid_type",
					Message: fmt.Sprintf("%s must be a %s, not null.", name, jsonType(f.Type.Kind().String()))})
			}
		}
	}
	if len(problems) > 0 {
		return apperr.Invalid(problems)
	}
	return nil
}

// fieldError is returned by custom unmarshalers to name the bad field.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.msg }

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	default:
		return "number"
	}
}
