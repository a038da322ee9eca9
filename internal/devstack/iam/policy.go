package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Policy is one parsed identity-based policy document. Its zero value has
// no statements (and so allows nothing).
type Policy struct {
	statements []statement
}

// statement is one parsed Statement of a policy.
type statement struct {
	sid  string
	deny bool
	// notAction and notResource say the lists are NotAction / NotResource.
	notAction, notResource bool
	// actions are lower-cased "service:pattern" strings, or "*".
	actions []string
	// resources are "*" or ARN patterns, kept as written (case-sensitive).
	resources  []string
	conditions []condition
}

// policyVersion is the only policy language version this package speaks.
const policyVersion = "2012-10-17"

// Parse parses a JSON identity-based policy document whose intrinsic
// functions have already been resolved to strings. It refuses, rather than
// guesses at, anything it does not evaluate exactly: an unknown element, a
// Principal, a condition operator outside the supported set, a policy
// variable (${...}), a Resource that is neither "*" nor an ARN, a value of
// the wrong JSON shape.
func Parse(doc []byte) (Policy, error) {
	var top map[string]json.RawMessage
	if err := decodeStrict(doc, &top); err != nil {
		return Policy{}, fmt.Errorf("iam: policy is not a JSON object: %w", err)
	}
	for k := range top {
		if k != "Version" && k != "Statement" && k != "Id" {
			return Policy{}, fmt.Errorf("iam: policy has an unknown element %q", k)
		}
	}
	if v, ok := top["Version"]; ok {
		var s string
		if err := json.Unmarshal(v, &s); err != nil || s != policyVersion {
			return Policy{}, fmt.Errorf("iam: policy Version must be %q, got %s", policyVersion, v)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return Policy{}, errors.New("iam: policy has no Statement")
	}
	var list []json.RawMessage
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
		list = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &list); err != nil || list == nil {
		return Policy{}, fmt.Errorf("iam: policy Statement must be an object or an array of objects, got %s", short(raw))
	}
	p := Policy{statements: make([]statement, 0, len(list))}
	for i, r := range list {
		st, err := parseStatement(r)
		if err != nil {
			return Policy{}, fmt.Errorf("iam: statement %s: %w", statementLabel(i, st.sid), err)
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

// statementLabel names a statement in an error: its index, and its Sid if
// it has one.
func statementLabel(i int, sid string) string {
	if sid != "" {
		return fmt.Sprintf("%d (Sid %q)", i, sid)
	}
	return fmt.Sprint(i)
}

func parseStatement(raw json.RawMessage) (statement, error) {
	var st statement
	var fields map[string]json.RawMessage
	if err := decodeStrict(raw, &fields); err != nil || fields == nil {
		return st, fmt.Errorf("not a JSON object: %s", short(raw))
	}
	if v, ok := fields["Sid"]; ok {
		if err := json.Unmarshal(v, &st.sid); err != nil {
			return st, fmt.Errorf("the Sid must be a string, got %s", short(v))
		}
	}
	for k := range fields {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition":
		case "Principal", "NotPrincipal":
			return st, fmt.Errorf("%s belongs in resource-based policies, not in an identity policy", k)
		default:
			return st, fmt.Errorf("unknown element %q", k)
		}
	}

	var effect string
	if err := json.Unmarshal(fields["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return st, fmt.Errorf(`the Effect must be "Allow" or "Deny", got %s`, short(fields["Effect"]))
	}
	st.deny = effect == "Deny"

	name, raw, err := exactlyOne(fields, "Action", "NotAction")
	if err != nil {
		return st, err
	}
	st.notAction = name == "NotAction"
	list, err := stringList(raw)
	if err != nil {
		return st, fmt.Errorf("%s: %w", name, err)
	}
	for _, a := range list {
		if err := checkAction(a); err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
		st.actions = append(st.actions, strings.ToLower(a))
	}

	name, raw, err = exactlyOne(fields, "Resource", "NotResource")
	if err != nil {
		return st, err
	}
	st.notResource = name == "NotResource"
	if st.resources, err = stringList(raw); err != nil {
		return st, fmt.Errorf("%s: %w", name, err)
	}
	for _, r := range st.resources {
		if err := checkResource(r); err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
	}

	if raw, ok := fields["Condition"]; ok {
		if st.conditions, err = parseConditions(raw); err != nil {
			return st, fmt.Errorf("in Condition: %w", err)
		}
	}
	return st, nil
}

// exactlyOne returns which one of the two elements a statement has, and
// its value; having both or neither is an error.
func exactlyOne(fields map[string]json.RawMessage, a, b string) (string, json.RawMessage, error) {
	ra, okA := fields[a]
	rb, okB := fields[b]
	switch {
	case okA && okB:
		return "", nil, fmt.Errorf("has both %s and %s", a, b)
	case okA:
		return a, ra, nil
	case okB:
		return b, rb, nil
	}
	return "", nil, fmt.Errorf("has neither %s nor %s", a, b)
}

// stringList decodes a string or a non-empty array of strings.
func stringList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, fmt.Errorf("must be a string or a non-empty array of strings, got %s", short(raw))
	}
	return many, nil
}

// checkAction accepts "*" and "service:action" where the service prefix is
// literal (letters, digits, '-') and the action part may hold wildcards.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	service, action, ok := strings.Cut(a, ":")
	if !ok || service == "" || action == "" {
		return fmt.Errorf("action %q is not \"*\" nor \"service:action\"", a)
	}
	for _, r := range service {
		if !(r == '-' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return fmt.Errorf("action %q: the service prefix must be letters, digits and '-' (no wildcard)", a)
		}
	}
	if strings.ContainsFunc(action, func(r rune) bool { return r == ':' || unicode.IsSpace(r) }) {
		return fmt.Errorf("action %q has a ':' or a space in its name", a)
	}
	return nil
}

// checkResource accepts "*" and ARN patterns "arn:partition:service:..."
// whose service is literal. A pattern may have fewer than six parts when a
// '*' spans the rest, as AWS lets a trailing '*' of a part run past ':'
// boundaries.
func checkResource(r string) error {
	if strings.Contains(r, "${") {
		return fmt.Errorf("resource %q uses a policy variable, which this evaluator does not resolve", r)
	}
	if r == "*" {
		return nil
	}
	parts := strings.SplitN(r, ":", 4)
	if len(parts) < 3 || parts[0] != "arn" {
		return fmt.Errorf("resource %q is not \"*\" nor an ARN", r)
	}
	if parts[2] == "" || hasWildcard(parts[2]) {
		return fmt.Errorf("resource %q: the service part of an ARN must be literal", r)
	}
	if strings.Count(r, ":") < 5 && !strings.HasSuffix(r, "*") {
		return fmt.Errorf("resource %q has fewer than the six parts of an ARN and no '*' to span them", r)
	}
	return nil
}

// decodeStrict decodes one JSON value and refuses trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// short is raw JSON cut to a length fit for an error message.
func short(raw json.RawMessage) string {
	const max = 80
	s := string(raw)
	if s == "" {
		return "nothing"
	}
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// Statements is how many statements the policy has.
func (p Policy) Statements() int { return len(p.statements) }
