package iam

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Request is one authorization question: may the principal whose policies
// the Evaluator holds do Action on Resource, with these condition keys?
type Request struct {
	// Action is "service:Action", e.g. "dynamodb:GetItem". It compares
	// case-insensitively.
	Action string
	// Resource is the full ARN the action is on, or "*" for an action that
	// takes no resource.
	Resource string
	// Context holds the condition keys of the request and their values,
	// e.g. "dynamodb:LeadingKeys": {"CUSTOMER#1", "EMAIL#x"}. A key absent
	// from the map is not present in the request; a key with no values is
	// treated as absent too. Keys compare case-insensitively.
	Context map[string][]string
}

// Decision is the answer to a Request.
type Decision struct {
	Allowed bool
	// Explicit is true when an explicit Deny decided it.
	Explicit bool
	// Statement names the statement that decided: its Sid if any, else
	// "<policy name>#<index>" (the index counts from 0 in the policy's
	// Statement array). It is empty for an implicit deny, which no
	// statement decides.
	Statement string
}

// Evaluator evaluates requests against a principal's identity policies.
// It is safe for concurrent use.
type Evaluator struct {
	// rules are the Deny statements, then the Allow statements, each in
	// policy name order and then statement order.
	rules []rule
	// known maps each known condition key, lower-cased, to its spelling in
	// knownKeys; given holds the spellings as given.
	known map[string]string
	given map[string]bool
}

// rule is one statement ready to evaluate.
type rule struct {
	label string
	st    statement
	// spelling is, for each condition of st, the key as knownKeys spells it.
	spelling []string
}

// New builds an Evaluator from named policies. knownKeys are the condition
// keys the caller can supply in a Request (global keys such as
// aws:SecureTransport included: only those listed are accepted). A policy
// whose conditions use any other key is an error naming the policy,
// statement and key: such a condition would otherwise evaluate as if the key
// were absent, which is a guess.
func New(policies map[string]Policy, knownKeys []string) (*Evaluator, error) {
	e := &Evaluator{known: make(map[string]string, len(knownKeys)), given: make(map[string]bool, len(knownKeys))}
	for _, k := range knownKeys {
		if k == "" {
			return nil, errors.New("iam: an empty known condition key")
		}
		e.known[strings.ToLower(k)] = k
		e.given[k] = true
	}
	var denies, allows []rule
	for _, name := range slices.Sorted(maps.Keys(policies)) {
		for i, st := range policies[name].statements {
			r := rule{label: st.sid, st: st}
			if r.label == "" {
				r.label = fmt.Sprintf("%s#%d", name, i)
			}
			for _, c := range st.conditions {
				spelling, ok := e.known[strings.ToLower(c.key)]
				if !ok {
					return nil, fmt.Errorf("iam: policy %q statement %s: condition key %q (%s) is not one the caller supplies (known: %s)",
						name, statementLabel(i, st.sid), c.key, c.operator, strings.Join(knownKeys, ", "))
				}
				r.spelling = append(r.spelling, spelling)
			}
			if st.deny {
				denies = append(denies, r)
			} else {
				allows = append(allows, r)
			}
		}
	}
	e.rules = append(denies, allows...)
	return e, nil
}

// Evaluate decides a request: an explicit Deny wins; else any Allow
// allows; else it is an implicit deny. It is an error, never a decision,
// when the request is malformed (an action that is not "service:Action", a
// resource that is not "*" nor an ARN) or carries a condition key that is
// not one of the known keys.
func (e *Evaluator) Evaluate(r Request) (Decision, error) {
	service, name, ok := strings.Cut(r.Action, ":")
	if !ok || service == "" || name == "" || strings.ContainsAny(r.Action, "*?") {
		return Decision{}, fmt.Errorf("iam: request action %q is not \"service:Action\"", r.Action)
	}
	if _, ok := arnParts(r.Resource); !ok && r.Resource != "*" {
		return Decision{}, fmt.Errorf("iam: request resource %q is not an ARN", r.Resource)
	}
	if err := e.checkContext(r.Context); err != nil {
		return Decision{}, err
	}
	action := strings.ToLower(r.Action)
	for i := range e.rules {
		ru := &e.rules[i]
		if !ru.applies(action, r) {
			continue
		}
		if ru.st.deny {
			return Decision{Allowed: false, Explicit: true, Statement: ru.label}, nil
		}
		// Every Deny comes before the first Allow: none applied.
		return Decision{Allowed: true, Statement: ru.label}, nil
	}
	return Decision{}, nil
}

// checkContext refuses condition keys that are not known, and two
// spellings of one key.
func (e *Evaluator) checkContext(ctx map[string][]string) error {
	for k := range ctx {
		if !e.given[k] {
			if _, ok := e.known[strings.ToLower(k)]; !ok {
				return fmt.Errorf("iam: request condition key %q is not a known key", k)
			}
		}
	}
	if len(ctx) > 1 {
		for k := range ctx {
			for k2 := range ctx {
				if k < k2 && strings.EqualFold(k, k2) {
					return fmt.Errorf("iam: request has condition key %q twice (%q, %q)", k, k, k2)
				}
			}
		}
	}
	return nil
}

// applies reports whether the statement matches the request: its action,
// its resource and every one of its conditions. action is lower-cased.
func (ru *rule) applies(action string, r Request) bool {
	st := &ru.st
	if slices.ContainsFunc(st.actions, func(p string) bool { return p == "*" || wildcardMatch(p, action) }) == st.notAction {
		return false
	}
	if slices.ContainsFunc(st.resources, func(p string) bool { return p == "*" || wildcardMatch(p, r.Resource) }) == st.notResource {
		return false
	}
	for i := range st.conditions {
		c := &st.conditions[i]
		values, present := lookup(r.Context, c.key, ru.spelling[i])
		if !c.holds(present, values) {
			return false
		}
	}
	return true
}

// lookup finds a condition key in the request, case-insensitively.
func lookup(ctx map[string][]string, key, spelling string) ([]string, bool) {
	if v, ok := ctx[key]; ok {
		return v, true
	}
	if v, ok := ctx[spelling]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
