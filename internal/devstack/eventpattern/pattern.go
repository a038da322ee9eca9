package eventpattern

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPattern is wrapped by every error Compile returns.
var ErrInvalidPattern = errors.New("eventpattern: invalid pattern")

// Pattern is a compiled EventBridge event pattern. It is safe for concurrent
// use.
type Pattern struct {
	root *node
}

// node is one JSON object level of a pattern: every field must match (AND),
// and for each $or group one of its branches must match, against the same
// event object.
type node struct {
	fields []field
	ors    [][]*node
}

// field is one key of a pattern object: either a nested object or a leaf
// array of value matchers.
type field struct {
	key  string
	path []string // from the event's root, for exists:false
	sub  *node
	leaf []matcher
}

// compiler carries what Compile needs while it walks the pattern.
type compiler struct {
	pipes bool // refuse what the operator table marks "Pipe support: No"
}

// Compile compiles an EventBridge event pattern. Anything the package does
// not implement, and anything AWS documents as invalid, is an error wrapping
// ErrInvalidPattern, never a pattern that silently matches or misses.
func Compile(pattern string) (*Pattern, error) {
	return compiler{}.compile(pattern)
}

// CompileForPipes is Compile for an EventBridge Pipes filter: it also refuses
// the operators that AWS's table of comparison operators marks as not
// supported by Pipes (the prefix, suffix, equals-ignore-case and wildcard
// forms of anything-but).
func CompileForPipes(pattern string) (*Pattern, error) {
	return compiler{pipes: true}.compile(pattern)
}

func (c compiler) compile(pattern string) (*Pattern, error) {
	v, err := parseStrict([]byte(pattern))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPattern, err)
	}
	obj, ok := v.(object)
	if !ok {
		return nil, fmt.Errorf("%w: a pattern is a JSON object, not %s", ErrInvalidPattern, typeName(v))
	}
	root, err := c.object(obj, nil)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

// orKey is the key of the $or primitive.
const orKey = "$or"

// operatorNames are the match operators; a branch of $or may not use one as a
// field name (event-ruler's RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
var operatorNames = map[string]bool{
	"anything-but": true, "cidr": true, "equals-ignore-case": true, "exists": true,
	"numeric": true, "prefix": true, "suffix": true, "wildcard": true,
}

func invalid(path []string, format string, args ...any) error {
	where := "the pattern"
	if len(path) > 0 {
		where = strings.Join(path, ".")
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalidPattern, where, fmt.Sprintf(format, args...))
}

// object compiles one pattern object found at path.
func (c compiler) object(obj object, path []string) (*node, error) {
	if len(obj) == 0 {
		return nil, invalid(path, "empty objects are not allowed")
	}
	n := &node{}
	seen := map[string]bool{}
	for _, m := range obj {
		if seen[m.key] {
			return nil, invalid(path, "field %q is given twice", m.key)
		}
		seen[m.key] = true
		if m.key == orKey {
			group, err := c.or(m.value, path)
			if err != nil {
				return nil, err
			}
			n.ors = append(n.ors, group)
			continue
		}
		fpath := append(append([]string(nil), path...), m.key)
		f := field{key: m.key, path: fpath}
		switch v := m.value.(type) {
		case object:
			sub, err := c.object(v, fpath)
			if err != nil {
				return nil, err
			}
			f.sub = sub
		case []any:
			leaf, err := c.leaf(v, fpath)
			if err != nil {
				return nil, err
			}
			f.leaf = leaf
		default:
			return nil, invalid(fpath, "a value to match must be an array or an object, not %s", typeName(v))
		}
		n.fields = append(n.fields, f)
	}
	return n, nil
}

// or compiles the array of a $or: at least two objects, each a branch that
// is matched against the same event object as the $or's siblings.
func (c compiler) or(v any, path []string) ([]*node, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, invalid(path, "$or must be followed by an array, not %s", typeName(v))
	}
	if len(arr) < 2 {
		return nil, invalid(path, "$or needs at least 2 objects, has %d", len(arr))
	}
	group := make([]*node, 0, len(arr))
	for _, e := range arr {
		obj, ok := e.(object)
		if !ok {
			return nil, invalid(path, "only objects are allowed in a $or array, not %s", typeName(e))
		}
		for _, m := range obj {
			if operatorNames[m.key] {
				return nil, invalid(path, "%q is an operator and cannot be a field name in $or", m.key)
			}
		}
		branch, err := c.object(obj, path)
		if err != nil {
			return nil, err
		}
		group = append(group, branch)
	}
	return group, nil
}

// Match reports whether event, a JSON object, matches the pattern. The error
// is for an event that is not a JSON object.
func (p *Pattern) Match(event []byte) (bool, error) {
	v, err := decodeEvent(event)
	if err != nil {
		return false, fmt.Errorf("eventpattern: event: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return false, fmt.Errorf("eventpattern: event is a JSON object, not %s", typeName(v))
	}
	return p.root.match(v, v), nil
}

// match reports whether ctx, the event value at this node's path (nil when
// absent), matches n. root is the whole event, for exists:false.
func (n *node) match(ctx, root any) bool {
	obj, _ := ctx.(map[string]any)
	for i := range n.fields {
		if !n.fields[i].match(obj, root) {
			return false
		}
	}
	for _, group := range n.ors {
		ok := false
		for _, branch := range group {
			if branch.match(ctx, root) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f *field) match(obj map[string]any, root any) bool {
	v, present := obj[f.key]
	if f.sub != nil {
		// Array consistency (event-ruler's rulesForJSONEvent): a nested
		// pattern matches one object, possibly one element of an array, as
		// a whole; fields from different elements never combine.
		matched, tried := false, false
		eachObject(v, func(o map[string]any) bool {
			tried = true
			matched = f.sub.match(o, root)
			return matched
		})
		if tried {
			return matched
		}
		// No object here: every field below is absent.
		return f.sub.match(nil, root)
	}
	var leaves []any
	if present {
		leaves = appendLeaves(leaves, v)
	}
	for _, m := range f.leaf {
		if m.kind == existsFalse {
			if !hasLeaf(root, f.path) {
				return true
			}
			continue
		}
		for _, l := range leaves {
			if m.match(l) {
				return true
			}
		}
	}
	return false
}

// eachObject calls fn for v if it is an object, or for each object in v if it
// is an array (nested arrays flattened), until fn returns true.
func eachObject(v any, fn func(map[string]any) bool) bool {
	switch t := v.(type) {
	case map[string]any:
		return fn(t)
	case []any:
		for _, e := range t {
			if eachObject(e, fn) {
				return true
			}
		}
	}
	return false
}

// appendLeaves appends the leaf values of v: v itself if it is a string,
// number, boolean or null; the leaves of its elements if it is an array;
// nothing if it is an object.
func appendLeaves(dst []any, v any) []any {
	switch t := v.(type) {
	case map[string]any:
		return dst
	case []any:
		for _, e := range t {
			dst = appendLeaves(dst, e)
		}
		return dst
	default:
		return append(dst, v)
	}
}

// hasLeaf reports whether the event has a leaf value at path anywhere,
// through any array on the way: exists is about the whole event.
func hasLeaf(v any, path []string) bool {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if hasLeaf(e, path) {
				return true
			}
		}
		return false
	case map[string]any:
		if len(path) == 0 {
			return false
		}
		next, ok := t[path[0]]
		if !ok {
			return false
		}
		return hasLeaf(next, path[1:])
	default:
		return len(path) == 0
	}
}
