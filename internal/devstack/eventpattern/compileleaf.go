package eventpattern

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
)

// leaf compiles the array of values at path; its matchers are ORed.
func (c compiler) leaf(arr []any, path []string) ([]matcher, error) {
	if len(arr) == 0 {
		return nil, invalid(path, "empty arrays are not allowed")
	}
	ms := make([]matcher, 0, len(arr))
	for _, e := range arr {
		var m matcher
		switch t := e.(type) {
		case string:
			m = matcher{kind: exactString, strs: []string{t}}
		case json.Number:
			m = matcher{kind: exactNumber, nums: []number{parseNumber(string(t))}}
		case bool, nil:
			m = matcher{kind: exactLiteral, lit: t}
		case object:
			var err error
			if m, err = c.operator(t, path); err != nil {
				return nil, err
			}
		default:
			return nil, invalid(path, "match value must be a string, number, true, false, null or an operator object, not %s", typeName(e))
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// operator compiles one {"operator": argument} object.
func (c compiler) operator(obj object, path []string) (matcher, error) {
	if len(obj) != 1 {
		return matcher{}, invalid(path, "an operator object has exactly one key, has %d", len(obj))
	}
	name, arg := obj[0].key, obj[0].value
	switch name {
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return matcher{}, invalid(path, "exists must be true or false")
		}
		if b {
			return matcher{kind: existsTrue}, nil
		}
		return matcher{kind: existsFalse}, nil
	case "prefix", "suffix":
		plain, fold := prefix, prefixFold
		if name == "suffix" {
			plain, fold = suffix, suffixFold
		}
		if s, ok := arg.(string); ok {
			return matcher{kind: plain, strs: []string{s}}, nil
		}
		if inner, ok := arg.(object); ok && len(inner) == 1 && inner[0].key == "equals-ignore-case" {
			s, ok := inner[0].value.(string)
			if !ok {
				return matcher{}, invalid(path, "%s equals-ignore-case must be a string", name)
			}
			return matcher{kind: fold, strs: []string{s}}, nil
		}
		return matcher{}, invalid(path, `%s must be a string or {"equals-ignore-case": string}`, name)
	case "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return matcher{}, invalid(path, "equals-ignore-case must be a string")
		}
		return matcher{kind: equalsFold, strs: []string{s}}, nil
	case "wildcard":
		s, ok := arg.(string)
		if !ok {
			return matcher{}, invalid(path, "wildcard must be a string")
		}
		g, err := compileGlob(s)
		if err != nil {
			return matcher{}, invalid(path, "wildcard %q: %v", s, err)
		}
		return matcher{kind: wildcard, globs: []glob{g}}, nil
	case "numeric":
		arr, ok := arg.([]any)
		if !ok {
			return matcher{}, invalid(path, "numeric must be an array")
		}
		r, err := numericRange(arr)
		if err != nil {
			return matcher{}, invalid(path, "numeric: %s", err)
		}
		return matcher{kind: numeric, rng: r}, nil
	case "cidr":
		s, ok := arg.(string)
		if !ok {
			return matcher{}, invalid(path, "cidr must be a string")
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return matcher{}, invalid(path, "cidr %q: %v", s, err)
		}
		return matcher{kind: cidr, net: p.Masked()}, nil
	case "anything-but":
		return c.anythingBut(arg, path)
	}
	return matcher{}, invalid(path, "unknown operator %q", name)
}

// anythingBut compiles the argument of anything-but: a string or number, a
// non-empty list of only strings or only numbers, or an object naming prefix,
// suffix, equals-ignore-case or wildcard with a string or list of strings.
func (c compiler) anythingBut(arg any, path []string) (matcher, error) {
	switch t := arg.(type) {
	case string:
		return matcher{kind: butValues, strs: []string{t}}, nil
	case json.Number:
		return matcher{kind: butValues, nums: []number{parseNumber(string(t))}}, nil
	case []any:
		if len(t) == 0 {
			return matcher{}, invalid(path, "anything-but list is empty")
		}
		m := matcher{kind: butValues}
		for _, e := range t {
			switch v := e.(type) {
			case string:
				m.strs = append(m.strs, v)
			case json.Number:
				m.nums = append(m.nums, parseNumber(string(v)))
			default:
				return matcher{}, invalid(path, "anything-but list holds strings or numbers, not %s", typeName(e))
			}
		}
		if len(m.strs) > 0 && len(m.nums) > 0 {
			return matcher{}, invalid(path, "anything-but list must be all strings or all numbers")
		}
		return m, nil
	case object:
		if len(t) != 1 {
			return matcher{}, invalid(path, "anything-but object has exactly one key, has %d", len(t))
		}
		name := t[0].key
		kinds := map[string]kind{"prefix": butPrefix, "suffix": butSuffix, "equals-ignore-case": butFold, "wildcard": butWildcard}
		k, ok := kinds[name]
		if !ok {
			return matcher{}, invalid(path, "unsupported anything-but operator %q", name)
		}
		if c.pipes {
			return matcher{}, invalid(path, "anything-but %s is not supported by EventBridge Pipes", name)
		}
		var strs []string
		switch v := t[0].value.(type) {
		case string:
			strs = []string{v}
		case []any:
			if len(v) == 0 {
				return matcher{}, invalid(path, "anything-but %s list is empty", name)
			}
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return matcher{}, invalid(path, "anything-but %s list holds strings, not %s", name, typeName(e))
				}
				strs = append(strs, s)
			}
		default:
			return matcher{}, invalid(path, "anything-but %s must be a string or a list of strings", name)
		}
		m := matcher{kind: k, strs: strs}
		for _, s := range strs {
			if s == "" && (k == butPrefix || k == butSuffix) {
				return matcher{}, invalid(path, "anything-but %s cannot be empty", name)
			}
			if k == butWildcard {
				g, err := compileGlob(s)
				if err != nil {
					return matcher{}, invalid(path, "wildcard %q: %v", s, err)
				}
				m.globs = append(m.globs, g)
			}
		}
		return m, nil
	}
	return matcher{}, invalid(path, "anything-but must be a string, a number, a list or an object, not %s", typeName(arg))
}

// numericRange parses the array of a numeric match: ["=", n], one bound
// ([">", n], [">=", n], ["<", n], ["<=", n]) or a lower bound then an upper
// one ([">", 0, "<=", 5]).
func numericRange(arr []any) (numRange, error) {
	var r numRange
	op := func(i int) (string, float64, error) {
		s, ok := arr[i].(string)
		if !ok {
			return "", 0, errorf("expected an operator at position %d", i)
		}
		if i+1 >= len(arr) {
			return "", 0, errorf("operator %q has no value", s)
		}
		n, ok := arr[i+1].(json.Number)
		if !ok {
			return "", 0, errorf("value of %q must be a number", s)
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) {
			return "", 0, errorf("value %s of %q is out of range", n, s)
		}
		return s, f, nil
	}
	if len(arr) != 2 && len(arr) != 4 {
		return r, errorf("expected 2 or 4 elements, got %d", len(arr))
	}
	first, v, err := op(0)
	if err != nil {
		return r, err
	}
	switch first {
	case "=":
		if len(arr) != 2 {
			return r, errorf(`"=" takes no second bound`)
		}
		return numRange{hasLow: true, low: v, hasHigh: true, high: v}, nil
	case ">", ">=":
		r.hasLow, r.low, r.lowOpen = true, v, first == ">"
	case "<", "<=":
		if len(arr) != 2 {
			return r, errorf("an upper bound must come last")
		}
		return numRange{hasHigh: true, high: v, highOpen: first == "<"}, nil
	default:
		return r, errorf("unknown operator %q", first)
	}
	if len(arr) == 2 {
		return r, nil
	}
	second, w, err := op(2)
	if err != nil {
		return r, err
	}
	if second != "<" && second != "<=" {
		return r, errorf("bad upper bound operator %q", second)
	}
	r.hasHigh, r.high, r.highOpen = true, w, second == "<"
	if r.low > r.high || (r.low == r.high && (r.lowOpen || r.highOpen)) {
		return r, errorf("empty range: lower bound %v above upper bound %v", r.low, r.high)
	}
	return r, nil
}
