package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidTemplate is wrapped by the error for a template Render cannot
// render: an unterminated placeholder, an unknown reserved variable, a
// variable in a place AWS does not allow it.
var ErrInvalidTemplate = errors.New("eventpattern: invalid input template")

// ErrNoValue is wrapped by the error for a placeholder with nothing to put
// in its place: a path absent from the event, or a reserved variable the
// Reserved holds no value for.
var ErrNoValue = errors.New("eventpattern: no value for placeholder")

// Reserved holds the values of the reserved variables a template may use
// (AWS, "Amazon EventBridge Pipes input transformation", Reserved
// variables). An empty field, or a nil Now, leaves its variable without a
// value: using it is an ErrNoValue error, not an empty string.
type Reserved struct {
	PipeARN       string // <aws.pipes.pipe-arn>
	PipeName      string // <aws.pipes.pipe-name>
	SourceARN     string // <aws.pipes.source-arn>
	EnrichmentARN string // <aws.pipes.enrichment-arn>
	TargetARN     string // <aws.pipes.target-arn>
	// Now gives <aws.pipes.event.ingestion-time>, "the time at which the
	// event was received by the input transformer ... an ISO 8601
	// timestamp".
	Now func() time.Time
}

// Render applies a Pipes InputTemplate to an event: every <$.path>
// placeholder is replaced by the value at that path. Only <aws.pipes.event>
// and <aws.pipes.event.json> of the reserved variables have a value; use
// Reserved.Render for the others.
func Render(template string, event []byte) (string, error) {
	return Reserved{}.Render(template, event)
}

// position is where a placeholder stands in a template, which decides how
// its value is written.
type position int

const (
	// inText: the template is not JSON ("Hello, <$.x>", or the whole
	// template is one placeholder). Values are written as they are.
	inText position = iota
	// inJSONValue: a JSON template, outside any string literal
	// ({"a": <$.x>}). Values are written as JSON.
	inJSONValue
	// inJSONString: a JSON template, inside a string literal
	// ({"a": "id <$.x>"}). Values are written as string content.
	inJSONString
)

// Render applies template to event, with r's reserved variables.
//
// How a value is written depends on where its placeholder stands; each rule
// is from AWS's "Amazon EventBridge Pipes input transformation" page:
//
//   - A template that does not start with '{', '[' or '"' is text ("Input
//     transformers ... can be free text, a JSON path to the event payload,
//     or a JSON object that includes inline JSON paths"). A string is
//     written as it is, unquoted and unescaped: the JSON Path form
//     "InputTemplate: <$.attributes.SenderId>" delivers the value itself,
//     which is how a template of one placeholder sends a string holding
//     JSON as a message body, byte for byte.
//   - In a JSON template, a placeholder outside quotes is a JSON value: a
//     string is written quoted and escaped, so {"instance": <$.detail.
//     instance-id>} gives {"instance": "i-0123456789"} (the page's "Input
//     transform example"), and an object or array is written as JSON ("do
//     not put quotes around variables that refer to JSON objects or
//     arrays").
//   - In a JSON template, a placeholder inside quotes is string content
//     ("put quotes around variables that refer to JSON path parameters"):
//     a string is written without quotes, escaped so the result stays JSON
//     ("EventBridge replaces input transformers at runtime to ensure a
//     valid JSON output").
//   - A number, true, false or null is written as its JSON text anywhere.
//   - An object or array in text or inside quotes loses its quotes: the
//     page's "Implicit body data parsing" says {"key": "value"} "will
//     become" {key: value} when delivered that way.
//   - <aws.pipes.event.json> "can only be used as a value for a JSON
//     field" ("Because it isn't escaped"); anywhere else it is an error.
//     <aws.pipes.event> is the event as received, written like any object.
//
// A path absent from the event is an ErrNoValue error: the Pipes page does
// not say what Pipes writes then, and an error is easier to see locally
// than an empty message.
func (r Reserved) Render(template string, event []byte) (string, error) {
	ev, err := decodeEvent(event)
	if err != nil {
		return "", fmt.Errorf("eventpattern: event: %w", err)
	}
	trimmed := strings.TrimLeft(template, " \t\r\n")
	isJSON := trimmed != "" && strings.ContainsRune(`{["`, rune(trimmed[0]))

	var out strings.Builder
	inString, escaped := false, false
	rest := template
	for rest != "" {
		i := placeholderStart(rest)
		if i < 0 {
			i = len(rest)
		}
		lit := rest[:i]
		out.WriteString(lit)
		if isJSON {
			for j := 0; j < len(lit); j++ {
				switch {
				case escaped:
					escaped = false
				case lit[j] == '\\' && inString:
					escaped = true
				case lit[j] == '"':
					inString = !inString
				}
			}
		}
		rest = rest[i:]
		if rest == "" {
			break
		}
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return "", fmt.Errorf("%w: placeholder %q has no closing '>'", ErrInvalidTemplate, rest)
		}
		name := rest[1:end]
		rest = rest[end+1:]

		pos := inText
		switch {
		case isJSON && inString:
			pos = inJSONString
		case isJSON:
			pos = inJSONValue
		}
		if err := r.write(&out, name, pos, ev, event); err != nil {
			return "", err
		}
	}
	return out.String(), nil
}

// placeholderStart returns the index of the first placeholder in s: a '<'
// followed by "$" or "aws.". Any other '<' is text.
func placeholderStart(s string) int {
	off := 0
	for {
		i := strings.IndexByte(s[off:], '<')
		if i < 0 {
			return -1
		}
		i += off
		if strings.HasPrefix(s[i+1:], "$") || strings.HasPrefix(s[i+1:], "aws.") {
			return i
		}
		off = i + 1
	}
}

// write writes the value of the placeholder name at pos.
func (r Reserved) write(out *strings.Builder, name string, pos position, ev any, raw []byte) error {
	if strings.HasPrefix(name, "$") {
		v, ok, err := Lookup(ev, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s is not in the event", ErrNoValue, name)
		}
		return writeValue(out, v, pos)
	}
	switch name {
	case "aws.pipes.event.json":
		if pos != inJSONValue {
			return fmt.Errorf("%w: <%s> can only be used as a value for a JSON field", ErrInvalidTemplate, name)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return fmt.Errorf("eventpattern: event: %w", err)
		}
		out.Write(b.Bytes())
		return nil
	case "aws.pipes.event":
		if pos == inJSONValue {
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil {
				return fmt.Errorf("eventpattern: event: %w", err)
			}
			out.Write(b.Bytes())
			return nil
		}
		return writeValue(out, ev, pos)
	case "aws.pipes.event.ingestion-time":
		if r.Now == nil {
			return fmt.Errorf("%w: <%s>: no clock", ErrNoValue, name)
		}
		return writeValue(out, r.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"), pos)
	}
	vars := map[string]string{
		"aws.pipes.pipe-arn":       r.PipeARN,
		"aws.pipes.pipe-name":      r.PipeName,
		"aws.pipes.source-arn":     r.SourceARN,
		"aws.pipes.enrichment-arn": r.EnrichmentARN,
		"aws.pipes.target-arn":     r.TargetARN,
	}
	v, known := vars[name]
	if !known {
		return fmt.Errorf("%w: unknown reserved variable <%s>", ErrInvalidTemplate, name)
	}
	if v == "" {
		return fmt.Errorf("%w: <%s> has no value", ErrNoValue, name)
	}
	return writeValue(out, v, pos)
}

// writeValue writes a decoded JSON value at pos, by the rules on Render.
func writeValue(out *strings.Builder, v any, pos position) error {
	switch t := v.(type) {
	case string:
		switch pos {
		case inText:
			out.WriteString(t)
		case inJSONValue:
			out.WriteString(quote(t))
		case inJSONString:
			q := quote(t)
			out.WriteString(q[1 : len(q)-1])
		}
		return nil
	case json.Number:
		out.WriteString(string(t))
		return nil
	case bool, nil:
		b, _ := json.Marshal(t)
		out.Write(b)
		return nil
	}
	b, err := marshal(v)
	if err != nil {
		return err
	}
	if pos != inJSONValue {
		b = bytes.ReplaceAll(b, []byte(`"`), nil)
	}
	out.Write(b)
	return nil
}

// quote is a JSON string literal for s, without the HTML escaping
// json.Marshal adds.
func quote(s string) string {
	b, _ := marshal(s)
	return string(b)
}

// marshal is json.Marshal without HTML escaping and without the trailing
// newline an Encoder writes.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
