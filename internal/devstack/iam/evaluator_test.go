package iam

import (
	"encoding/json"
	"strings"
	"testing"
)

// templateKeys are the keys the local stack supplies for the template.
var templateKeys = []string{"dynamodb:LeadingKeys", "ses:FromAddress"}

// templatePolicies are the template's function policy, named "fn".
var templatePolicies = map[string]json.RawMessage{"fn": json.RawMessage(templatePolicy)}

// onePolicy is one policy, named "p", of the given statements.
func onePolicy(statements ...string) map[string]json.RawMessage {
	return map[string]json.RawMessage{"p": pol(statements...)}
}

// checkError fails t unless err, returned by call, is an error whose text
// contains want; want "" asks for no error.
func checkError(t *testing.T, call string, err error, want string) {
	t.Helper()
	if err == nil {
		if want != "" {
			t.Fatalf("%s = nil error, want one containing %q", call, want)
		}
		return
	}
	if want == "" {
		t.Fatalf("%s: %v", call, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %q, want one containing %q", call, err, want)
	}
}

// evaluator builds an Evaluator of named policy documents.
func evaluator(t testing.TB, knownKeys []string, docs map[string]json.RawMessage) *Evaluator {
	t.Helper()
	policies := map[string]Policy{}
	for name, doc := range docs {
		p, err := Parse(doc)
		if err != nil {
			t.Fatalf("Parse(%s): %v", name, err)
		}
		policies[name] = p
	}
	e, err := New(policies, knownKeys)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEvaluate(t *testing.T) {
	const allowAll = `{"Effect":"Allow","Action":"*","Resource":"*"}`
	tmpl, one := templatePolicies, onePolicy
	tests := []struct {
		name     string
		policies map[string]json.RawMessage
		request  Request
		want     Decision
	}{
		{"allows a customer's item and names the statement by policy and index", tmpl,
			Request{Action: "dynamodb:GetItem", Resource: arnTable, Context: map[string][]string{"dynamodb:LeadingKeys": {"CUSTOMER#1"}}}, Decision{Allowed: true, Statement: "fn#0"}},
		{"denies a guest key outside the prefixes, implicitly and with no statement", tmpl,
			Request{Action: "dynamodb:PutItem", Resource: arnTable, Context: map[string][]string{"dynamodb:LeadingKeys": {"ADMIN#x"}}}, Decision{}},
		{"allows the index query by the third statement", tmpl,
			Request{Action: "dynamodb:Query", Resource: arnIndex}, Decision{Allowed: true, Statement: "fn#2"}},
		{"explicit deny wins over an allow and names its Sid", one(allowAll, `{"Sid":"NoDelete","Effect":"Deny","Action":"dynamodb:DeleteItem","Resource":"*"}`),
			Request{Action: "dynamodb:DeleteItem", Resource: arnTable}, Decision{Explicit: true, Statement: "NoDelete"}},
		{"explicit deny in one policy wins over an allow in another", map[string]json.RawMessage{"a": pol(allowAll), "b": pol(`{"Effect":"Deny","Action":"dynamodb:*","Resource":"*"}`)},
			Request{Action: "dynamodb:GetItem", Resource: arnTable}, Decision{Explicit: true, Statement: "b#0"}},
		{"the first allowing statement in policy name order decides", map[string]json.RawMessage{"b": pol(allowAll), "a": pol(`{"Effect":"Deny","Action":"s3:*","Resource":"*"}`, allowAll)},
			Request{Action: "dynamodb:GetItem", Resource: arnTable}, Decision{Allowed: true, Statement: "a#1"}},
		{"NotAction allows what it does not name", one(`{"Effect":"Allow","NotAction":"dynamodb:*","Resource":"*"}`),
			Request{Action: "sqs:SendMessage", Resource: arnQueue}, Decision{Allowed: true, Statement: "p#0"}},
		{"NotAction does not allow what it names", one(`{"Effect":"Allow","NotAction":"dynamodb:*","Resource":"*"}`),
			Request{Action: "dynamodb:GetItem", Resource: arnTable}, Decision{}},
		{"NotResource allows other resources", one(`{"Effect":"Allow","Action":"dynamodb:*","NotResource":"` + arnOther + `"}`),
			Request{Action: "dynamodb:GetItem", Resource: arnTable}, Decision{Allowed: true, Statement: "p#0"}},
		{"NotResource does not allow its resource", one(`{"Effect":"Allow","Action":"dynamodb:*","NotResource":"` + arnOther + `"}`),
			Request{Action: "dynamodb:GetItem", Resource: arnOther}, Decision{}},
		{"a Deny with NotResource denies everything else", one(allowAll, `{"Effect":"Deny","Action":"*","NotResource":"`+arnTable+`"}`),
			Request{Action: "sqs:SendMessage", Resource: arnQueue}, Decision{Explicit: true, Statement: "p#1"}},
		{"action names compare case-insensitively", one(`{"Effect":"Allow","Action":"DynamoDB:get*","Resource":"*"}`),
			Request{Action: "dynamodb:GetItem", Resource: arnTable}, Decision{Allowed: true, Statement: "p#0"}},
		{"resources compare case-sensitively", one(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:dynamodb:ddblocal:000000000000:table/Registration"}`),
			Request{Action: "dynamodb:GetItem", Resource: arnTable}, Decision{}},
		{"a resource star spans slashes and colons", one(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:lambda:us-east-1:123456789012:*"}`),
			Request{Action: "lambda:InvokeFunction", Resource: arnFunction}, Decision{Allowed: true, Statement: "p#0"}},
		{"a resource question mark is one character", one(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:sqs:us-east-1:123456789012:outbo?"}`),
			Request{Action: "sqs:SendMessage", Resource: arnQueue}, Decision{Allowed: true, Statement: "p#0"}},
		{"a resource star is an action without a resource", one(`{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}`),
			Request{Action: "sqs:ListQueues", Resource: "*"}, Decision{Allowed: true, Statement: "p#0"}},
		{"a specific resource does not cover a request for every resource", one(`{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"` + arnQueue + `"}`),
			Request{Action: "sqs:ListQueues", Resource: "*"}, Decision{}},
		{"request condition keys compare case-insensitively", tmpl,
			Request{Action: "ses:SendEmail", Resource: arnIdentity, Context: map[string][]string{"SES:FROMADDRESS": {"no-reply@shop.example"}}}, Decision{Allowed: true, Statement: "fn#1"}},
		{"no policy allows nothing", nil,
			Request{Action: "sqs:SendMessage", Resource: arnQueue}, Decision{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := evaluator(t, templateKeys, tt.policies)
			got, err := e.Evaluate(tt.request)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want; got != want {
				t.Errorf("Evaluate = %+v, want %+v", got, want)
			}
		})
	}
}

func TestNewRefusesUnknownKeys(t *testing.T) {
	p, err := Parse([]byte(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"Mail","Effect":"Allow","Action":"ses:SendEmail","Resource":"*","Condition":{"StringEquals":{"ses:FromAddress":"a","ses:Recipients":"b"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		knownKeys []string
		want      string // "" for no error
	}{
		{"names the policy, statement and key", []string{"ses:FromAddress"}, `policy "fn" statement 1 (Sid "Mail"): condition key "ses:Recipients"`},
		{"refuses a global key not listed", nil, `condition key "ses:FromAddress"`},
		{"accepts the keys in any case", []string{"SES:FROMADDRESS", "ses:recipients"}, ""},
		{"refuses an empty known key", []string{""}, "empty known condition key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(map[string]Policy{"fn": p}, tt.knownKeys)
			checkError(t, "New", err, tt.want)
		})
	}
}

func TestEvaluateRefuses(t *testing.T) {
	e := evaluator(t, templateKeys, templatePolicies)
	tests := []struct {
		name    string
		request Request
		want    string
	}{
		{"refuses an action without a service", Request{Action: "GetItem", Resource: arnTable}, "not \"service:Action\""},
		{"refuses an action with a wildcard", Request{Action: "dynamodb:Get*", Resource: arnTable}, "not \"service:Action\""},
		{"refuses an empty action", Request{Resource: arnTable}, "not \"service:Action\""},
		{"refuses a resource that is not an ARN", Request{Action: "dynamodb:GetItem", Resource: "table/registration"}, "not an ARN"},
		{"refuses an empty resource", Request{Action: "dynamodb:GetItem"}, "not an ARN"},
		{"refuses a condition key that is not known", Request{Action: "dynamodb:GetItem", Resource: arnTable, Context: map[string][]string{"dynamodb:Attributes": {"pk"}}}, `"dynamodb:Attributes" is not a known key`},
		{"refuses one key spelled twice", Request{Action: "dynamodb:GetItem", Resource: arnTable, Context: map[string][]string{"dynamodb:LeadingKeys": {"A"}, "DynamoDB:LeadingKeys": {"B"}}}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.Evaluate(tt.request)
			checkError(t, "Evaluate", err, tt.want)
			if d.Allowed {
				t.Error("an error came with an allow")
			}
		})
	}
}

// BenchmarkEvaluate evaluates the template's policy on the calls the
// registration functions make most: a guarded GetItem, a BatchGetItem of
// several keys, a mail, and a denied call.
func BenchmarkEvaluate(b *testing.B) {
	e := evaluator(b, templateKeys, templatePolicies)
	requests := []Request{
		{Action: "dynamodb:GetItem", Resource: arnTable, Context: map[string][]string{"dynamodb:LeadingKeys": {"CUSTOMER#42"}}},
		{Action: "dynamodb:BatchGetItem", Resource: arnTable, Context: map[string][]string{"dynamodb:LeadingKeys": {"EMAIL#a@b.example", "USERNAME#bob", "GUEST#9"}}},
		{Action: "ses:SendEmail", Resource: arnConfig, Context: map[string][]string{"ses:FromAddress": {"no-reply@shop.example"}}},
		{Action: "dynamodb:PutItem", Resource: arnTable, Context: map[string][]string{"dynamodb:LeadingKeys": {"ADMIN#1"}}},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := e.Evaluate(requests[i%len(requests)]); err != nil {
			b.Fatal(err)
		}
	}
}
