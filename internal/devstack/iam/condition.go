package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// kind is how an operator compares one request value with one policy value.
type kind int

const (
	kindString     kind = iota // case-sensitive equality
	kindStringFold             // equality ignoring case
	kindStringLike             // '*' and '?' wildcards, case-sensitive
	kindArn                    // the six ARN parts, each by its wildcard pattern
	kindBool                   // "true" / "false", ignoring case
	kindNumeric                // decimal numbers
	kindNull                   // tests presence, not values
)

// operator is one base condition operator (without set prefix or IfExists).
type operator struct {
	name string
	kind kind
	// negated operators hold when the request value matches none of the
	// policy values (NOR), and when the key is absent.
	negated bool
	// cmp compares a request number with a policy number (kindNumeric only).
	cmp func(request, policy float64) bool
}

// operators are the supported base operators by lower-cased name.
var operators = func() map[string]*operator {
	eq := func(a, b float64) bool { return a == b }
	list := []*operator{
		{name: "StringEquals", kind: kindString},
		{name: "StringNotEquals", kind: kindString, negated: true},
		{name: "StringEqualsIgnoreCase", kind: kindStringFold},
		{name: "StringNotEqualsIgnoreCase", kind: kindStringFold, negated: true},
		{name: "StringLike", kind: kindStringLike},
		{name: "StringNotLike", kind: kindStringLike, negated: true},
		{name: "ArnEquals", kind: kindArn},
		{name: "ArnLike", kind: kindArn},
		{name: "ArnNotEquals", kind: kindArn, negated: true},
		{name: "ArnNotLike", kind: kindArn, negated: true},
		{name: "Bool", kind: kindBool},
		{name: "Null", kind: kindNull},
		{name: "NumericEquals", kind: kindNumeric, cmp: eq},
		{name: "NumericNotEquals", kind: kindNumeric, negated: true, cmp: eq},
		{name: "NumericLessThan", kind: kindNumeric, cmp: func(a, b float64) bool { return a < b }},
		{name: "NumericLessThanEquals", kind: kindNumeric, cmp: func(a, b float64) bool { return a <= b }},
		{name: "NumericGreaterThan", kind: kindNumeric, cmp: func(a, b float64) bool { return a > b }},
		{name: "NumericGreaterThanEquals", kind: kindNumeric, cmp: func(a, b float64) bool { return a >= b }},
	}
	m := make(map[string]*operator, len(list))
	for _, op := range list {
		m[strings.ToLower(op.name)] = op
	}
	return m
}()

// setOp is a condition's set prefix.
type setOp int

const (
	setNone   setOp = iota
	setForAll       // ForAllValues:
	setForAny       // ForAnyValue:
)

// condition is one (operator, key) pair of a Condition block with its
// policy values.
type condition struct {
	// operator and key are as written in the policy, for messages.
	operator, key string
	op            *operator
	set           setOp
	ifExists      bool
	values        []string
	nums          []float64   // kindNumeric: values parsed
	arns          [][6]string // kindArn: values split into their parts
	// nullAbsent are a Null condition's values: true tests that the key is
	// absent, false that it is present.
	nullAbsent []bool
}

// parseOperator splits "ForAllValues:StringLikeIfExists" into its parts.
// Operator names compare case-insensitively.
func parseOperator(name string) (*operator, setOp, bool, error) {
	set := setNone
	base := name
	if prefix, rest, ok := strings.Cut(name, ":"); ok {
		switch strings.ToLower(prefix) {
		case "forallvalues":
			set = setForAll
		case "foranyvalue":
			set = setForAny
		default:
			return nil, 0, false, fmt.Errorf("unknown set operator %q in %q (ForAllValues and ForAnyValue are the set operators)", prefix, name)
		}
		base = rest
	}
	ifExists := false
	if lower := strings.ToLower(base); strings.HasSuffix(lower, "ifexists") {
		ifExists = true
		base = base[:len(base)-len("IfExists")]
	}
	op, ok := operators[strings.ToLower(base)]
	if !ok {
		return nil, 0, false, fmt.Errorf("unsupported condition operator %q", name)
	}
	if op.kind == kindNull && (ifExists || set != setNone) {
		return nil, 0, false, fmt.Errorf("condition operator %q: Null takes neither IfExists nor a set operator", name)
	}
	return op, set, ifExists, nil
}

// parseConditions parses a statement's Condition block.
func parseConditions(raw json.RawMessage) ([]condition, error) {
	var block map[string]json.RawMessage
	if err := decodeStrict(raw, &block); err != nil || block == nil {
		return nil, fmt.Errorf("must be an object of operators, got %s", short(raw))
	}
	var out []condition
	for _, opName := range slices.Sorted(maps.Keys(block)) {
		op, set, ifExists, err := parseOperator(opName)
		if err != nil {
			return nil, err
		}
		var keys map[string]json.RawMessage
		if err := decodeStrict(block[opName], &keys); err != nil || keys == nil {
			return nil, fmt.Errorf("%s must be an object of condition keys, got %s", opName, short(block[opName]))
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("%s has no condition key", opName)
		}
		for _, key := range slices.Sorted(maps.Keys(keys)) {
			c := condition{operator: opName, key: key, op: op, set: set, ifExists: ifExists}
			if key == "" {
				return nil, fmt.Errorf("%s has an empty condition key", opName)
			}
			if c.values, err = conditionValues(keys[key]); err != nil {
				return nil, fmt.Errorf("%s %s: %w", opName, key, err)
			}
			if err := c.compile(); err != nil {
				return nil, fmt.Errorf("%s %s: %w", opName, key, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues decodes a key's values: a string, boolean or number, or
// a non-empty array of them. Booleans and numbers become their JSON text
// ("true", "10"), as AWS reads them.
func conditionValues(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	scalar := func(v any) (string, bool) {
		switch x := v.(type) {
		case string:
			return x, true
		case bool:
			return strconv.FormatBool(x), true
		case json.Number:
			return x.String(), true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("values must be a string, boolean or number, or a non-empty array of them, got %s", short(raw))
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := scalar(e)
		if !ok {
			return nil, fmt.Errorf("values must be strings, booleans or numbers, got %s", short(raw))
		}
		out = append(out, s)
	}
	return out, nil
}

// compile checks the policy values against the operator and precomputes
// what evaluation needs.
func (c *condition) compile() error {
	for _, v := range c.values {
		if strings.Contains(v, "${") {
			return fmt.Errorf("value %q uses a policy variable, which this evaluator does not resolve", v)
		}
		switch c.op.kind {
		case kindBool, kindNull:
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				return fmt.Errorf("value %q is not true or false", v)
			}
			if c.op.kind == kindNull {
				c.nullAbsent = append(c.nullAbsent, strings.EqualFold(v, "true"))
			}
		case kindNumeric:
			n, ok := parseNumber(v)
			if !ok {
				return fmt.Errorf("value %q is not a decimal number", v)
			}
			c.nums = append(c.nums, n)
		case kindArn:
			parts, ok := arnParts(v)
			if !ok {
				return fmt.Errorf("value %q is not an ARN of six parts (arn:partition:service:region:account:resource)", v)
			}
			c.arns = append(c.arns, parts)
		}
	}
	return nil
}

// parseNumber parses a plain decimal number: an optional sign, digits, and
// an optional fraction. Exponents, hexadecimal, "Inf" and "NaN" are not
// numbers here.
func parseNumber(s string) (float64, bool) {
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" {
		return 0, false
	}
	intPart, frac, hasDot := strings.Cut(digits, ".")
	if intPart == "" || (hasDot && frac == "") {
		return 0, false
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

// holds evaluates the condition on the request's values for its key.
// present is whether the request has the key at all; a key present with
// no values is treated as absent (see the package documentation).
func (c *condition) holds(present bool, values []string) bool {
	absent := !present || len(values) == 0
	if c.op.kind == kindNull {
		return slices.Contains(c.nullAbsent, absent)
	}
	if absent {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAll:
			return true
		case c.set == setForAny:
			return false
		}
		return c.op.negated
	}
	switch c.set {
	case setForAll:
		for _, v := range values {
			if !c.matches(v) {
				return false
			}
		}
		return true
	case setForAny:
		return slices.ContainsFunc(values, c.matches)
	}
	// A key with several values needs a set operator: without one the
	// condition does not hold, whether the operator is negated or not.
	if len(values) > 1 {
		return false
	}
	return c.matches(values[0])
}

// matches applies the operator to one request value: true when it matches
// any policy value or, for a negated operator, none of them. A value the
// operator cannot read (not a number, boolean or ARN) matches nothing,
// negated or not.
func (c *condition) matches(v string) bool {
	var hit bool
	switch c.op.kind {
	case kindString:
		hit = slices.Contains(c.values, v)
	case kindStringFold:
		hit = slices.ContainsFunc(c.values, func(p string) bool { return strings.EqualFold(p, v) })
	case kindStringLike:
		hit = slices.ContainsFunc(c.values, func(p string) bool { return wildcardMatch(p, v) })
	case kindBool:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return false
		}
		hit = slices.ContainsFunc(c.values, func(p string) bool { return strings.EqualFold(p, v) })
	case kindNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		hit = slices.ContainsFunc(c.nums, func(p float64) bool { return c.op.cmp(n, p) })
	case kindArn:
		parts, ok := arnParts(v)
		if !ok {
			return false
		}
		hit = slices.ContainsFunc(c.arns, func(p [6]string) bool { return arnLike(p, parts) })
	}
	return hit != c.op.negated
}
