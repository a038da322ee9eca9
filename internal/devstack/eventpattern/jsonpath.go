package eventpattern

import (
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidPath is wrapped by the error for a JSONPath outside the subset
// this package reads.
var ErrInvalidPath = errors.New("eventpattern: unsupported JSONPath")

// step is one step of a JSONPath: a key, or an index when key is empty.
type step struct {
	key   string
	index int
}

// parsePath parses the JSONPath subset Pipes documents for input templates:
// "$", then any number of ".name" and "[index]" steps. A name holds letters,
// digits, '-', '_' and '/' (AWS: "dot notation (for example, $.detail),
// dashes, underscores, alphanumeric characters, array indices, ...
// forward slashes"). The documented wildcard (*) is not implemented and is
// an error, like every other syntax.
func parsePath(path string) ([]step, error) {
	if path == "" || path[0] != '$' {
		return nil, fmt.Errorf("%w: %q does not start with $", ErrInvalidPath, path)
	}
	var steps []step
	rest := path[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			i := 1
			for i < len(rest) {
				r := rune(rest[i])
				if r >= 0x80 {
					var n int
					r, n = utf8.DecodeRuneInString(rest[i:])
					if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
						break
					}
					i += n
					continue
				}
				if !isNameByte(rest[i]) {
					break
				}
				i++
			}
			if i == 1 {
				return nil, fmt.Errorf("%w: %q: empty or unsupported name after '.'", ErrInvalidPath, path)
			}
			steps = append(steps, step{key: rest[1:i]})
			rest = rest[i:]
		case '[':
			end := 1
			for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
				end++
			}
			if end == 1 || end >= len(rest) || rest[end] != ']' {
				return nil, fmt.Errorf("%w: %q: only [index] with a non-negative integer is supported", ErrInvalidPath, path)
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil {
				return nil, fmt.Errorf("%w: %q: index %s", ErrInvalidPath, path, rest[1:end])
			}
			steps = append(steps, step{index: n})
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("%w: %q: unexpected %q", ErrInvalidPath, path, rest[0])
		}
	}
	return steps, nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '/'
}

// Lookup returns the value at a JSONPath of the subset Pipes uses ("$",
// "$.a.b.c", "$.a[0].b") in event, a decoded JSON value (map[string]any,
// []any, ...). ok is false when the path leads nowhere; err is for a path
// outside the subset.
func Lookup(event any, path string) (value any, ok bool, err error) {
	steps, err := parsePath(path)
	if err != nil {
		return nil, false, err
	}
	value, ok = walk(event, steps)
	return value, ok, nil
}

func walk(v any, steps []step) (any, bool) {
	for _, s := range steps {
		if s.key != "" {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[s.key]; !ok {
				return nil, false
			}
			continue
		}
		arr, ok := v.([]any)
		if !ok || s.index >= len(arr) {
			return nil, false
		}
		v = arr[s.index]
	}
	return v, true
}
