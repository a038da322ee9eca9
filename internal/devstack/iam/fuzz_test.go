package iam

import (
	"slices"
	"strings"
	"testing"
)

// FuzzEvaluate checks properties that hold for every policy and request:
// Parse never panics; Evaluate is deterministic; an error never comes
// with an allow; statement order does not change a decision; adding Deny
// statements never turns a deny into an allow (the policy's own statements
// turned to Deny deny everything it allowed); a policy allowing "*" on "*"
// allows every well-formed request; and adding it allows everything not
// explicitly denied.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(templatePolicy), "dynamodb:GetItem", arnTable, "dynamodb:LeadingKeys", "CUSTOMER#1,GUEST#2")
	f.Add([]byte(templatePolicy), "ses:SendEmail", arnIdentity, "ses:FromAddress", "no-reply@shop.example")
	f.Add([]byte(templatePolicy), "dynamodb:Query", arnIndex, "", "")
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","NotAction":"s3:*","NotResource":"arn:aws:s3:::b/*"},{"Sid":"D","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"k":["a*","?b"]},"Null":{"j":"false"}}}]}`), "sqs:Send", arnQueue, "k", "xb,a")
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThanIfExists":{"n":["10",3.5]},"ArnNotLike":{"a":"arn:aws:sqs:*:*:*"},"BoolIfExists":{"b":true}}}}`), "lambda:InvokeFunction", arnFunction, "n", "3")
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, key, values string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		known := []string{"fuzz:key"}
		for _, st := range p.statements {
			for _, c := range st.conditions {
				known = append(known, c.key)
			}
		}
		r := Request{Action: action, Resource: resource}
		if key != "" {
			known = append(known, key)
			r.Context = map[string][]string{key: strings.Split(values, ",")}
		}
		evaluate := func(policies map[string]Policy) (Decision, error) {
			t.Helper()
			e, err := New(policies, known)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			d, err := e.Evaluate(r)
			if err != nil && d.Allowed {
				t.Fatalf("Evaluate allowed and failed: %v", err)
			}
			if d.Allowed && d.Explicit {
				t.Fatalf("Evaluate = %+v: allowed and explicitly denied", d)
			}
			if (d.Allowed || d.Explicit) && d.Statement == "" {
				t.Fatalf("Evaluate = %+v names no statement", d)
			}
			return d, err
		}

		got, err := evaluate(map[string]Policy{"p": p})
		again, err2 := evaluate(map[string]Policy{"p": p})
		if got != again || (err == nil) != (err2 == nil) {
			t.Fatalf("Evaluate is not deterministic: %+v (%v), then %+v (%v)", got, err, again, err2)
		}

		all, perr := Parse([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`))
		if perr != nil {
			t.Fatal(perr)
		}
		open, openErr := evaluate(map[string]Policy{"all": all})
		if (openErr == nil) != (err == nil) {
			t.Fatalf("the request is refused with one policy and not another: %v, %v", err, openErr)
		}
		if err != nil {
			return
		}
		if !open.Allowed {
			t.Fatalf("allow-all policy: Evaluate = %+v", open)
		}

		reversed := Policy{statements: slices.Clone(p.statements)}
		slices.Reverse(reversed.statements)
		if d, _ := evaluate(map[string]Policy{"p": reversed}); d.Allowed != got.Allowed || d.Explicit != got.Explicit {
			t.Fatalf("statement order changed the decision: %+v, reversed %+v", got, d)
		}

		denied := Policy{statements: slices.Clone(p.statements)}
		for i := range denied.statements {
			denied.statements[i].deny = true
		}
		d, _ := evaluate(map[string]Policy{"p": p, "q": denied})
		if d.Allowed {
			t.Fatalf("adding Deny statements allowed: %+v (was %+v)", d, got)
		}
		if got.Allowed && !d.Explicit {
			t.Fatalf("the Deny twin of the allowing statement did not deny: %+v", d)
		}

		d, _ = evaluate(map[string]Policy{"p": p, "all": all})
		if d.Allowed == got.Explicit {
			t.Fatalf("adding allow-all: %+v, was %+v", d, got)
		}
	})
}
