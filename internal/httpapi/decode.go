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
func (r *Request) decodeJSON(dst any) error { return r.decodeJSONUpTo(MaxBody, dst) }

// decodeJSONUpTo is decodeJSON with a body of at most limit bytes.
func (r *Request) decodeJSONUpTo(limit int, dst any) error {
	if err := r.checkBody(limit); err != nil {
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
	if err := exactKeys(body, reflect.TypeOf(dst)); err != nil {
		return err
	}
	// exactKeys refused every unknown key already, naming it; the decoder
	// refuses any it could not see (inside a type that decodes itself).
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
		// Keys match exactly (exactKeys refused any other).
		for key, raw := range fields {
			if key == name && bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
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

// exactKeys refuses a body that parsers read differently: encoding/json
// matches a key to a field whatever its letter case ({"emAil":…} is
// email) and takes the last of two equal keys, so a proxy, a WAF or a log
// pipeline that reads the first, or matches case, would see another value
// than the one we store. Every object of the body, at any depth, may hold
// a key once; the keys of an object that is one of t's structs must be its
// fields' names exactly: a name in other letter case is invalid_body, any
// other unknown key unknown_field (as DisallowUnknownFields says). Bodies
// that are not well-formed JSON are left to the decoder to name.
func exactKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := walkValue(dec, t)
	var ke *keyError
	if errors.As(err, &ke) {
		return ke.problem()
	}
	return nil
}

// keyError is a key exactKeys refuses.
type keyError struct {
	key       string
	duplicate bool
	unknown   bool
}

func (e *keyError) Error() string { return "key " + e.key }

func (e *keyError) problem() error {
	switch {
	case e.duplicate:
		return &apperr.Error{Code: apperr.InvalidBody, Message: fmt.Sprintf("The key %q appears twice in one object.", e.key),
			Fields: []apperr.FieldError{{Field: e.key, Code: "duplicate_key", Message: "A key may appear once."}}}
	case e.unknown:
		return &apperr.Error{Code: apperr.UnknownField, Message: fmt.Sprintf("Unknown field %q.", e.key),
			Fields: []apperr.FieldError{{Field: e.key, Code: "unknown_field", Message: "This field is not part of the request."}}}
	}
	return &apperr.Error{Code: apperr.InvalidBody, Message: fmt.Sprintf("The key %q names a field in other letter case; keys are matched exactly.", e.key),
		Fields: []apperr.FieldError{{Field: e.key, Code: "key_case", Message: "Keys are matched exactly, letter case included."}}}
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// walkValue reads one JSON value from dec, checking the keys of its
// objects; t is the Go type it decodes into (nil: not known, so only
// duplicates are checked).
func walkValue(dec *json.Decoder, t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(unmarshaler) || t.Kind() == reflect.Interface) {
		t = nil // decoded its own way: only duplicates are checked
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkValue(dec, elem); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('{'):
		fields := map[string]reflect.Type{}
		isStruct := t != nil && t.Kind() == reflect.Struct
		var elem reflect.Type
		if isStruct {
			jsonFields(t, fields)
		} else if t != nil && t.Kind() == reflect.Map {
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			if seen[key] {
				return &keyError{key: key, duplicate: true}
			}
			seen[key] = true
			vt := elem
			if isStruct {
				ft, ok := fields[key]
				if !ok {
					for name := range fields {
						if strings.EqualFold(name, key) {
							return &keyError{key: key}
						}
					}
					return &keyError{key: key, unknown: true}
				}
				vt = ft
			}
			if err := walkValue(dec, vt); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

// jsonFields adds the JSON names of struct t's fields to out, with their
// types; an embedded struct without a name of its own (adminCreateBody's
// customer.Profile) gives its fields, as encoding/json promotes them.
func jsonFields(t reflect.Type, out map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			jsonFields(f.Type, out)
		case name != "" && name != "-" && f.IsExported():
			out[name] = f.Type
		}
	}
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
