package iam

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeCases rewrites testdata/cases.json from handCases and
// generatedCases. oracle.json must then be regenerated (see doc.go).
var writeCases = flag.Bool("write-cases", false, "rewrite testdata/cases.json (then regenerate oracle.json with testdata/oracle.mjs)")

// oracleFile is testdata/cases.json.
type oracleFile struct {
	Comment   string       `json:"comment"`
	KnownKeys []string     `json:"knownKeys"`
	Cases     []oracleCase `json:"cases"`
}

type oracleCase struct {
	Name     string                     `json:"name"`
	Note     string                     `json:"note,omitempty"`
	Policies map[string]json.RawMessage `json:"policies"`
	Request  oracleRequest              `json:"request"`
	// Expect is set where we knowingly answer otherwise than iam-simulate:
	// Result is our answer, Why says why we trust it.
	Expect *oracleExpect `json:"expect,omitempty"`
}

type oracleRequest struct {
	Action   string              `json:"action"`
	Resource string              `json:"resource"`
	Context  map[string][]string `json:"context,omitempty"`
}

type oracleExpect struct {
	Result string `json:"result"`
	Why    string `json:"why"`
}

// oracleResults is testdata/oracle.json, written by testdata/oracle.mjs.
type oracleResults struct {
	IAMSimulateVersion string `json:"iamSimulateVersion"`
	CasesSHA256        string `json:"casesSHA256"`
	Results            []struct {
		Name   string `json:"name"`
		Result string `json:"result"`
	} `json:"results"`
}

// resultOf names a decision as iam-simulate does.
func resultOf(d Decision) string {
	switch {
	case d.Allowed:
		return "Allowed"
	case d.Explicit:
		return "ExplicitlyDenied"
	}
	return "ImplicitlyDenied"
}

func TestAgreesWithIAMSimulate(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases oracleFile
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	var oracle oracleResults
	b, err := os.ReadFile(filepath.Join("testdata", "oracle.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &oracle); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got, want := oracle.CasesSHA256, hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("oracle.json was made from another cases.json (sha256 %s, cases.json is %s): regenerate it with testdata/oracle.mjs", got, want)
	}
	if got, want := len(oracle.Results), len(cases.Cases); got != want {
		t.Fatalf("oracle.json has %d results for %d cases", got, want)
	}
	agreed, differ := 0, 0
	for i, c := range cases.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if got, want := oracle.Results[i].Name, c.Name; got != want {
				t.Fatalf("oracle result %d is for case %q", i, got)
			}
			d, err := evaluator(t, cases.KnownKeys, c.Policies).Evaluate(Request{Action: c.Request.Action, Resource: c.Request.Resource, Context: c.Request.Context})
			if err != nil {
				t.Fatal(err)
			}
			got, sim := resultOf(d), oracle.Results[i].Result
			if c.Expect == nil {
				if got != sim {
					t.Errorf("we say %s, iam-simulate %s says %s", got, oracle.IAMSimulateVersion, sim)
				}
				agreed++
				return
			}
			if got != c.Expect.Result {
				t.Errorf("we say %s, the case expects %s (%s)", got, c.Expect.Result, c.Expect.Why)
			}
			if sim == c.Expect.Result {
				t.Errorf("iam-simulate now agrees (%s): drop the case's expect", sim)
			}
			differ++
		})
	}
	t.Logf("%d cases: %d agree with iam-simulate %s, %d knowingly differ", len(cases.Cases), agreed, oracle.IAMSimulateVersion, differ)
}

// TestWriteOracleCases rewrites testdata/cases.json when run with
// -write-cases.
func TestWriteOracleCases(t *testing.T) {
	if !*writeCases {
		t.Skip("run with -write-cases to rewrite testdata/cases.json")
	}
	cases := append(handCases(), generatedCases(rand.New(rand.NewPCG(2012, 1017)), 340)...)
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Name] {
			t.Fatalf("two cases are named %q", c.Name)
		}
		seen[c.Name] = true
	}
	// One case per line, so that a change reads as a small diff.
	var buf bytes.Buffer
	head, _ := json.Marshal(oracleFile{
		Comment:   "Cases for TestAgreesWithIAMSimulate; written by go test -run TestWriteOracleCases -write-cases, answered by testdata/oracle.mjs. See doc.go.",
		KnownKeys: oracleKnownKeys,
	})
	buf.Write(head[:bytes.LastIndex(head, []byte(`"cases":null`))])
	buf.WriteString("\"cases\":[\n")
	for i, c := range cases {
		line, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(line)
		if i < len(cases)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	if err := os.WriteFile(filepath.Join("testdata", "cases.json"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d cases; now run node internal/devstack/iam/testdata/oracle.mjs", len(cases))
}

// The resources of the cases: each valid for its actions, as iam-simulate
// checks.
const (
	arnTable    = "arn:aws:dynamodb:ddblocal:000000000000:table/registration"
	arnIndex    = arnTable + "/index/byStatus"
	arnOther    = "arn:aws:dynamodb:ddblocal:000000000000:table/secrets"
	arnIdentity = "arn:aws:ses:us-east-1:123456789012:identity/no-reply@shop.example"
	arnConfig   = "arn:aws:ses:us-east-1:123456789012:configuration-set/mail"
	arnQueue    = "arn:aws:sqs:us-east-1:123456789012:outbox"
	arnObject   = "arn:aws:s3:::uploads/a/b/c.txt"
	arnFunction = "arn:aws:lambda:us-east-1:123456789012:function:signin:live"
)

// templatePolicy is a function's role policy as the synthesized template
// has it.
const templatePolicy = `{"Statement":[{"Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:UpdateItem","dynamodb:DeleteItem","dynamodb:ConditionCheckItem","dynamodb:BatchGetItem"],"Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["EMAIL#*","USERNAME#*","CUSTOMER#*","GUEST#*"]}},"Effect":"Allow","Resource":"arn:aws:dynamodb:ddblocal:000000000000:table/registration"},
 {"Action":"ses:SendEmail","Condition":{"StringEquals":{"ses:FromAddress":"no-reply@shop.example"}},"Effect":"Allow","Resource":["arn:aws:ses:us-east-1:123456789012:identity/no-reply@shop.example","arn:aws:ses:us-east-1:123456789012:configuration-set/mail"]},
 {"Action":"dynamodb:Query","Effect":"Allow","Resource":"arn:aws:dynamodb:ddblocal:000000000000:table/registration/index/byStatus"}],"Version":"2012-10-17"}`

// oracleKnownKeys are the condition keys of the cases, with the type
// iam-simulate gives each (which decides how it reads a request's values).
var oracleKnownKeys = []string{
	"dynamodb:LeadingKeys",   // ArrayOfString
	"dynamodb:Attributes",    // ArrayOfString
	"dynamodb:Select",        // String
	"ses:FromAddress",        // String
	"ses:FromDisplayName",    // String
	"ses:Recipients",         // ArrayOfString
	"aws:SecureTransport",    // Bool
	"aws:MultiFactorAuthAge", // Numeric
	"aws:SourceArn",          // ARN
	"aws:PrincipalTag/team",  // String
}

// pol is a policy document of the given statements.
func pol(statements ...string) json.RawMessage {
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`)
}

// ctx is a request context: key, values, key, values...
type ctx = map[string][]string

// handCases are the rules worth a case of their own: the template's
// policy, and each of AWS's documented rules that an evaluator gets wrong
// most easily.
func handCases() []oracleCase {
	type hc struct {
		name, note string
		policies   map[string]json.RawMessage
		action     string
		resource   string
		context    ctx
		expect     *oracleExpect
	}
	tmpl, one := templatePolicies, onePolicy
	allowAll := `{"Effect":"Allow","Action":"*","Resource":"*"}`
	fromIs := func(op, values string) map[string]json.RawMessage {
		return one(`{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*","Condition":{"` + op + `":{"ses:FromAddress":` + values + `}}}`)
	}
	leading := func(op, values string) map[string]json.RawMessage {
		return one(`{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{"` + op + `":{"dynamodb:LeadingKeys":` + values + `}}}`)
	}
	mfa := func(op, values string) map[string]json.RawMessage {
		return one(`{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"` + op + `":{"aws:MultiFactorAuthAge":` + values + `}}}`)
	}
	source := func(op, values string) map[string]json.RawMessage {
		return one(`{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"` + op + `":{"aws:SourceArn":` + values + `}}}`)
	}
	secure := func(op, values string) map[string]json.RawMessage {
		return one(`{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"` + op + `":{"aws:SecureTransport":` + values + `}}}`)
	}
	res := func(pattern string) map[string]json.RawMessage {
		return one(`{"Effect":"Allow","Action":"*","Resource":"` + pattern + `"}`)
	}
	act := func(pattern string) map[string]json.RawMessage {
		return one(`{"Effect":"Allow","Action":"` + pattern + `","Resource":"*"}`)
	}
	from := func(v string) ctx { return ctx{"ses:FromAddress": {v}} }
	keys := func(v ...string) ctx { return ctx{"dynamodb:LeadingKeys": append([]string{}, v...)} }
	denyAdmin := `{"Effect":"Deny","Action":"dynamodb:*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"dynamodb:LeadingKeys":"ADMIN#*"}}}`

	list := []hc{
		// The template's policy.
		{"template allows GetItem on a customer's key", "", tmpl, "dynamodb:GetItem", arnTable, keys("CUSTOMER#1"), nil},
		{"template allows BatchGetItem when every key has an allowed prefix", "", tmpl, "dynamodb:BatchGetItem", arnTable, keys("EMAIL#a@b.example", "USERNAME#bob", "GUEST#x"), nil},
		{"template denies PutItem when one key has no allowed prefix", "ForAllValues needs every request value to match.", tmpl, "dynamodb:PutItem", arnTable, keys("GUEST#x", "ADMIN#1"), nil},
		{"template allows GetItem without leading keys", "ForAllValues is true when the key is absent (AWS: 'also returns true if there are no context keys in the request').", tmpl, "dynamodb:GetItem", arnTable, nil, nil},
		{"template allows GetItem with an empty set of leading keys", "ForAllValues over an empty set is true.", tmpl, "dynamodb:GetItem", arnTable, keys(), nil},
		{"template's StringLike is case-sensitive", "", tmpl, "dynamodb:GetItem", arnTable, keys("customer#1"), nil},
		{"template denies Scan", "", tmpl, "dynamodb:Scan", arnTable, nil, nil},
		{"template allows Query on the byStatus index", "", tmpl, "dynamodb:Query", arnIndex, nil, nil},
		{"template denies Query on the table", "", tmpl, "dynamodb:Query", arnTable, nil, nil},
		{"template denies Query on another index", "", tmpl, "dynamodb:Query", arnTable + "/index/byEmail", nil, nil},
		{"template denies GetItem on another table", "", tmpl, "dynamodb:GetItem", arnOther, keys("CUSTOMER#1"), nil},
		{"template matches actions case-insensitively", "", tmpl, "dynamodb:getitem", arnTable, keys("CUSTOMER#1"), nil},
		{"template allows mail from the no-reply address", "", tmpl, "ses:SendEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"template allows mail through the configuration set", "", tmpl, "ses:SendEmail", arnConfig, from("no-reply@shop.example"), nil},
		{"template denies mail from another address", "", tmpl, "ses:SendEmail", arnIdentity, from("ceo@shop.example"), nil},
		{"template denies mail without a from address", "A plain operator is false when its key is absent.", tmpl, "ses:SendEmail", arnIdentity, nil, nil},
		{"template's StringEquals is case-sensitive", "", tmpl, "ses:SendEmail", arnIdentity, from("No-Reply@shop.example"), nil},
		{"template denies SendRawEmail", "", tmpl, "ses:SendRawEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"template denies mail from another identity", "", tmpl, "ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/shop.example", from("no-reply@shop.example"), nil},

		// String operators.
		{"StringEquals ORs its values", "", fromIs("StringEquals", `["a@x.example","b@x.example"]`), "ses:SendEmail", arnIdentity, from("b@x.example"), nil},
		{"StringEquals takes no wildcard", "", fromIs("StringEquals", `"no-reply@*"`), "ses:SendEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"StringNotEquals NORs its values", "AWS: a negated operator's values are evaluated with a logical NOR.", fromIs("StringNotEquals", `["a@x.example","b@x.example"]`), "ses:SendEmail", arnIdentity, from("b@x.example"), nil},
		{"StringNotEquals holds for a value in none", "", fromIs("StringNotEquals", `["a@x.example","b@x.example"]`), "ses:SendEmail", arnIdentity, from("c@x.example"), nil},
		{"StringNotEquals holds when the key is absent", "AWS condition operators page: a negated operator such as StringNotLike is true when the key is not present.", fromIs("StringNotEquals", `"a@x.example"`), "ses:SendEmail", arnIdentity, nil, nil},
		{"StringNotLike holds when the key is absent", "", fromIs("StringNotLike", `"*@x.example"`), "ses:SendEmail", arnIdentity, nil, nil},
		{"StringNotLike fails on a match", "", fromIs("StringNotLike", `"*@x.example"`), "ses:SendEmail", arnIdentity, from("a@x.example"), nil},
		{"StringEqualsIgnoreCase ignores case", "", fromIs("StringEqualsIgnoreCase", `"NO-REPLY@SHOP.EXAMPLE"`), "ses:SendEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"StringNotEqualsIgnoreCase ignores case", "", fromIs("StringNotEqualsIgnoreCase", `"NO-REPLY@SHOP.EXAMPLE"`), "ses:SendEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"StringLike question mark is one character", "", fromIs("StringLike", `"no-reply@shop.exampl?"`), "ses:SendEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"StringLike question mark is not zero characters", "", fromIs("StringLike", `"no-reply@shop.example?"`), "ses:SendEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"StringLike star matches the empty string", "", fromIs("StringLike", `"no-reply@shop.example*"`), "ses:SendEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"StringLike anchors both ends", "", fromIs("StringLike", `"*@shop.example"`), "ses:SendEmail", arnIdentity, from("no-reply@shop.example.evil"), nil},
		{"StringEqualsIfExists holds when the key is absent", "AWS: ...IfExists evaluates to true when the key is not present.", fromIs("StringEqualsIfExists", `"a@x.example"`), "ses:SendEmail", arnIdentity, nil, nil},
		{"StringEqualsIfExists tests a present key", "", fromIs("StringEqualsIfExists", `"a@x.example"`), "ses:SendEmail", arnIdentity, from("b@x.example"), nil},
		{"condition keys compare case-insensitively", "", one(`{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*","Condition":{"StringEquals":{"SES:fromaddress":"a@x.example"}}}`), "ses:SendEmail", arnIdentity, from("a@x.example"), nil},

		// Null.
		{"Null true holds when the key is absent", "", fromIs("Null", `"true"`), "ses:SendEmail", arnIdentity, nil, nil},
		{"Null true fails when the key is present", "", fromIs("Null", `"true"`), "ses:SendEmail", arnIdentity, from("a@x.example"), nil},
		{"Null false holds when the key is present", "", fromIs("Null", `"false"`), "ses:SendEmail", arnIdentity, from("a@x.example"), nil},
		{"Null takes a JSON boolean", "", fromIs("Null", `false`), "ses:SendEmail", arnIdentity, nil, nil},
		{"Null true holds for an empty set", "", leading("Null", `"true"`), "dynamodb:GetItem", arnTable, keys(), &oracleExpect{
			Result: "Allowed",
			Why:    "AWS's multivalued-key examples: a Null condition with false prevents 'missing context keys or context keys with empty values' from matching, i.e. an empty set is null. iam-simulate counts a key given as [] as present.",
		}},

		// Set operators.
		{"ForAnyValue fails when the key is absent", "", leading("ForAnyValue:StringLike", `"CUSTOMER#*"`), "dynamodb:GetItem", arnTable, nil, nil},
		{"ForAnyValue fails on an empty set", "", leading("ForAnyValue:StringLike", `"CUSTOMER#*"`), "dynamodb:GetItem", arnTable, keys(), nil},
		{"ForAnyValue holds when one value matches", "", leading("ForAnyValue:StringLike", `"CUSTOMER#*"`), "dynamodb:GetItem", arnTable, keys("ADMIN#1", "CUSTOMER#1"), nil},
		{"ForAllValues with a negated operator needs every value outside", "", leading("ForAllValues:StringNotLike", `"ADMIN#*"`), "dynamodb:GetItem", arnTable, keys("CUSTOMER#1", "ADMIN#1"), nil},
		{"ForAllValues with a negated operator holds when none matches", "", leading("ForAllValues:StringNotLike", `"ADMIN#*"`), "dynamodb:GetItem", arnTable, keys("CUSTOMER#1", "GUEST#1"), nil},
		{"ForAnyValue with a negated operator holds when one value is outside", "", leading("ForAnyValue:StringNotEquals", `"ADMIN#1"`), "dynamodb:GetItem", arnTable, keys("ADMIN#1", "GUEST#1"), nil},
		{"ForAllValues StringEquals over a subset", "", one(`{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","email"]}}}`), "dynamodb:GetItem", arnTable, ctx{"dynamodb:Attributes": {"pk", "email"}}, nil},
		{"ForAllValues StringEquals over a superset", "", one(`{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","email"]}}}`), "dynamodb:GetItem", arnTable, ctx{"dynamodb:Attributes": {"pk", "password"}}, nil},
		{"ForAnyValue IfExists holds when the key is absent", "", leading("ForAnyValue:StringLikeIfExists", `"CUSTOMER#*"`), "dynamodb:GetItem", arnTable, nil, &oracleExpect{
			Result: "Allowed",
			Why:    "AWS's ...IfExists section: if the key is not present, the condition evaluates to true. iam-simulate ignores IfExists after a set operator.",
		}},
		{"a Deny with ForAllValues applies when the key is absent", "The famous pitfall: ForAllValues is true on an absent key, so such a Deny denies.", one(allowAll, `{"Effect":"Deny","Action":"dynamodb:*","Resource":"*","Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":"ADMIN#*"}}}`), "dynamodb:GetItem", arnTable, nil, nil},
		{"a Deny with ForAnyValue denies an admin key", "", one(allowAll, denyAdmin), "dynamodb:GetItem", arnTable, keys("CUSTOMER#1", "ADMIN#1"), nil},
		{"a Deny with ForAnyValue lets other keys through", "", one(allowAll, denyAdmin), "dynamodb:GetItem", arnTable, keys("CUSTOMER#1"), nil},
		{"a Deny with ForAnyValue does not apply without keys", "", one(allowAll, denyAdmin), "dynamodb:GetItem", arnTable, nil, nil},

		// A multivalued key under a plain operator.
		{"a plain operator does not match a key with several values", "AWS: multivalued context keys require a set operator. Without one we match nothing, as iam-simulate does (its source cites AWS at re:Inforce 2025, IAM431).", leading("StringLike", `"CUSTOMER#*"`), "dynamodb:GetItem", arnTable, keys("CUSTOMER#1", "CUSTOMER#2"), nil},
		{"a negated plain operator does not match a key with several values either", "", leading("StringNotLike", `"ADMIN#*"`), "dynamodb:GetItem", arnTable, keys("CUSTOMER#1", "CUSTOMER#2"), nil},
		{"a plain operator reads a one-valued key as single-valued", "", leading("StringLike", `"CUSTOMER#*"`), "dynamodb:GetItem", arnTable, keys("CUSTOMER#1"), &oracleExpect{
			Result: "Allowed",
			Why:    "A Request carries no key types, so one value is a single value. iam-simulate types dynamodb:LeadingKeys as ArrayOfString from its service data and never matches a plain operator on it. AWS documents neither; the template always puts a set operator on LeadingKeys.",
		}},

		// Bool.
		{"Bool matches true", "", secure("Bool", `"true"`), "sqs:SendMessage", arnQueue, ctx{"aws:SecureTransport": {"true"}}, nil},
		{"Bool ignores the case of the request value", "", secure("Bool", `"true"`), "sqs:SendMessage", arnQueue, ctx{"aws:SecureTransport": {"TRUE"}}, nil},
		{"Bool takes a JSON boolean", "", secure("Bool", `true`), "sqs:SendMessage", arnQueue, ctx{"aws:SecureTransport": {"true"}}, nil},
		{"Bool fails on false", "", secure("Bool", `"true"`), "sqs:SendMessage", arnQueue, ctx{"aws:SecureTransport": {"false"}}, nil},
		{"Bool fails on a value that is not a boolean", "", secure("Bool", `"true"`), "sqs:SendMessage", arnQueue, ctx{"aws:SecureTransport": {"yes"}}, nil},
		{"BoolIfExists holds when the key is absent", "", secure("BoolIfExists", `"true"`), "sqs:SendMessage", arnQueue, nil, nil},
		{"Bool fails when the key is absent", "", secure("Bool", `"false"`), "sqs:SendMessage", arnQueue, nil, nil},

		// Numeric.
		{"NumericLessThan below", "", mfa("NumericLessThan", `"3600"`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"30"}}, nil},
		{"NumericLessThan at the bound", "", mfa("NumericLessThan", `"3600"`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"3600"}}, nil},
		{"NumericLessThanEquals at the bound", "", mfa("NumericLessThanEquals", `3600`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"3600"}}, nil},
		{"NumericGreaterThan a decimal", "", mfa("NumericGreaterThan", `"3600"`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"3600.5"}}, nil},
		{"NumericGreaterThanEquals below", "", mfa("NumericGreaterThanEquals", `"3600"`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"-1"}}, nil},
		{"NumericEquals compares numbers, not text", "", mfa("NumericEquals", `"30.0"`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"30"}}, nil},
		{"NumericNotEquals NORs its values", "", mfa("NumericNotEquals", `["1","2"]`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"2"}}, nil},
		{"NumericNotEquals holds for a value in none", "", mfa("NumericNotEquals", `["1","2"]`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"3"}}, nil},
		{"NumericNotEquals holds when the key is absent", "", mfa("NumericNotEquals", `"1"`), "sqs:SendMessage", arnQueue, nil, nil},
		{"NumericNotEquals fails on a value that is not a number", "A value the operator cannot read matches nothing, negated or not.", mfa("NumericNotEquals", `"1"`), "sqs:SendMessage", arnQueue, ctx{"aws:MultiFactorAuthAge": {"abc"}}, nil},
		{"NumericLessThanIfExists holds when the key is absent", "", mfa("NumericLessThanIfExists", `"10"`), "sqs:SendMessage", arnQueue, nil, nil},

		// ARN operators.
		{"ArnLike matches part by part", "", source("ArnLike", `"arn:aws:sqs:*:123456789012:*"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:topic"}}, nil},
		{"ArnLike matches a queue", "", source("ArnLike", `"arn:aws:sqs:*:123456789012:*"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {arnQueue}}, nil},
		{"ArnLike resource part spans colons", "", source("ArnLike", `"arn:aws:sqs:us-east-1:123456789012:*"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {arnQueue + ":extra"}}, nil},
		{"ArnLike wildcard stays inside its part", "The account '*' matches '123' only; the resource part is then '456:outbox', not 'outbox'.", source("ArnLike", `"arn:aws:sqs:us-east-1:*:outbox"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {"arn:aws:sqs:us-east-1:123:456:outbox"}}, nil},
		{"ArnEquals takes wildcards as ArnLike does", "AWS lists ArnEquals and ArnLike together: each part is matched by its wildcard pattern.", source("ArnEquals", `"arn:aws:sqs:us-east-1:123456789012:out*"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {arnQueue}}, nil},
		{"ArnLike is case-sensitive", "", source("ArnLike", `"arn:aws:sqs:us-east-1:123456789012:Outbox"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {arnQueue}}, nil},
		{"ArnNotLike holds for another ARN", "", source("ArnNotLike", `"arn:aws:sns:*:*:*"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {arnQueue}}, nil},
		{"ArnNotLike fails on a match", "", source("ArnNotLike", `["arn:aws:sns:*:*:*","arn:aws:sqs:*:*:*"]`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {arnQueue}}, nil},
		{"ArnNotEquals holds when the key is absent", "", source("ArnNotEquals", `"arn:aws:sns:*:*:*"`), "sqs:SendMessage", arnQueue, nil, nil},
		{"ArnNotLike fails on a value that is not an ARN", "", source("ArnNotLike", `"arn:aws:sns:*:*:*"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {"not-an-arn"}}, nil},
		{"ArnLike fails on a value that is not an ARN", "", source("ArnLike", `"arn:*:*:*:*:*"`), "sqs:SendMessage", arnQueue, ctx{"aws:SourceArn": {"not-an-arn"}}, nil},

		// Several conditions.
		{"operators AND", "", one(`{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*","Condition":{"StringEquals":{"ses:FromAddress":"a@x.example"},"Bool":{"aws:SecureTransport":"true"}}}`), "ses:SendEmail", arnIdentity, ctx{"ses:FromAddress": {"a@x.example"}, "aws:SecureTransport": {"false"}}, nil},
		{"operators AND when all hold", "", one(`{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*","Condition":{"StringEquals":{"ses:FromAddress":"a@x.example"},"Bool":{"aws:SecureTransport":"true"}}}`), "ses:SendEmail", arnIdentity, ctx{"ses:FromAddress": {"a@x.example"}, "aws:SecureTransport": {"true"}}, nil},
		{"keys of one operator AND", "", one(`{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*","Condition":{"StringEquals":{"ses:FromAddress":"a@x.example","ses:FromDisplayName":"Shop"}}}`), "ses:SendEmail", arnIdentity, ctx{"ses:FromAddress": {"a@x.example"}, "ses:FromDisplayName": {"Other"}}, nil},

		// Actions.
		{"action star matches all", "", act("*"), "sqs:SendMessage", arnQueue, nil, nil},
		{"action service star", "", act("dynamodb:*"), "dynamodb:DeleteItem", arnTable, nil, nil},
		{"action prefix star", "", act("dynamodb:Get*"), "dynamodb:GetItem", arnTable, nil, nil},
		{"action prefix star is anchored", "", act("dynamodb:Get*"), "dynamodb:BatchGetItem", arnTable, nil, nil},
		{"action suffix star", "", act("dynamodb:*Item"), "dynamodb:BatchGetItem", arnTable, nil, nil},
		{"action question mark", "", act("dynamodb:?etItem"), "dynamodb:GetItem", arnTable, nil, nil},
		{"action case is ignored in the policy", "", act("DynamoDB:GETITEM"), "dynamodb:GetItem", arnTable, nil, nil},
		{"action of another service", "", act("dynamodb:*"), "sqs:SendMessage", arnQueue, nil, nil},
		{"NotAction allows other actions", "", one(`{"Effect":"Allow","NotAction":"dynamodb:*","Resource":"*"}`), "sqs:SendMessage", arnQueue, nil, nil},
		{"NotAction excludes its actions", "", one(`{"Effect":"Allow","NotAction":["dynamodb:*","sqs:Delete*"],"Resource":"*"}`), "dynamodb:GetItem", arnTable, nil, nil},

		// Resources.
		{"resource star in the region and account", "", res("arn:aws:dynamodb:*:*:table/registration"), "dynamodb:GetItem", arnTable, nil, nil},
		{"resource trailing star spans slashes", "", res("arn:aws:dynamodb:ddblocal:000000000000:table/registration*"), "dynamodb:Query", arnIndex, nil, nil},
		{"resource slash star needs a slash", "", res("arn:aws:dynamodb:ddblocal:000000000000:table/registration/*"), "dynamodb:GetItem", arnTable, nil, nil},
		{"resource table star", "", res("arn:aws:dynamodb:ddblocal:000000000000:table/*"), "dynamodb:Query", arnIndex, nil, nil},
		{"resource short ARN with a star", "A '*' that ends a part may run past ':' boundaries (AWS Resource element docs).", res("arn:aws:dynamodb:*"), "dynamodb:GetItem", arnTable, nil, nil},
		{"resource is case-sensitive", "", res("arn:aws:dynamodb:ddblocal:000000000000:table/Registration"), "dynamodb:GetItem", arnTable, nil, nil},
		{"resource bucket star spans the key's slashes", "", res("arn:aws:s3:::uploads/*"), "s3:GetObject", arnObject, nil, nil},
		{"resource question mark in a key", "", res("arn:aws:s3:::uploads/?/b/c.txt"), "s3:GetObject", arnObject, nil, nil},
		{"resource star inside a key", "", res("arn:aws:s3:::uploads/*/c.txt"), "s3:GetObject", arnObject, nil, nil},
		{"resource of another bucket", "", res("arn:aws:s3:::upload/*"), "s3:GetObject", arnObject, nil, nil},
		{"resource star spans colons in the resource part", "", res("arn:aws:lambda:us-east-1:123456789012:function:*"), "lambda:InvokeFunction", arnFunction, nil, nil},
		{"resource without the qualifier does not match", "", res("arn:aws:lambda:us-east-1:123456789012:function:signin"), "lambda:InvokeFunction", arnFunction, nil, nil},
		{"NotResource allows other resources", "", one(`{"Effect":"Allow","Action":"dynamodb:*","NotResource":"` + arnOther + `"}`), "dynamodb:GetItem", arnTable, nil, nil},
		{"NotResource excludes its resources", "", one(`{"Effect":"Allow","Action":"dynamodb:*","NotResource":["` + arnOther + `","` + arnIndex + `"]}`), "dynamodb:GetItem", arnOther, nil, nil},

		// Deny.
		{"Deny beats Allow", "", one(allowAll, `{"Effect":"Deny","Action":"dynamodb:DeleteItem","Resource":"*"}`), "dynamodb:DeleteItem", arnTable, nil, nil},
		{"Deny of another action leaves the Allow", "", one(allowAll, `{"Effect":"Deny","Action":"dynamodb:DeleteItem","Resource":"*"}`), "dynamodb:GetItem", arnTable, nil, nil},
		{"Deny in another policy beats Allow", "", map[string]json.RawMessage{"a": pol(allowAll), "b": pol(`{"Effect":"Deny","Action":"sqs:*","Resource":"` + arnQueue + `"}`)}, "sqs:SendMessage", arnQueue, nil, nil},
		{"Deny with NotResource denies elsewhere", "", one(allowAll, `{"Effect":"Deny","Action":"*","NotResource":"`+arnTable+`"}`), "dynamodb:GetItem", arnOther, nil, nil},
		{"Deny with NotResource spares its resource", "", one(allowAll, `{"Effect":"Deny","Action":"*","NotResource":"`+arnTable+`"}`), "dynamodb:GetItem", arnTable, nil, nil},
		{"Deny with NotAction denies other actions", "", one(allowAll, `{"Effect":"Deny","NotAction":"dynamodb:Get*","Resource":"*"}`), "dynamodb:PutItem", arnTable, nil, nil},
		{"Deny whose condition fails leaves the Allow", "", one(allowAll, `{"Effect":"Deny","Action":"ses:*","Resource":"*","Condition":{"StringNotEquals":{"ses:FromAddress":"no-reply@shop.example"}}}`), "ses:SendEmail", arnIdentity, from("no-reply@shop.example"), nil},
		{"Deny with a negated operator applies when the key is absent", "", one(allowAll, `{"Effect":"Deny","Action":"ses:*","Resource":"*","Condition":{"StringNotEquals":{"ses:FromAddress":"no-reply@shop.example"}}}`), "ses:SendEmail", arnIdentity, nil, nil},
		{"nothing allows", "", one(`{"Effect":"Deny","Action":"sqs:*","Resource":"*"}`), "dynamodb:GetItem", arnTable, nil, nil},
	}
	out := make([]oracleCase, 0, len(list))
	for _, h := range list {
		out = append(out, oracleCase{
			Name: h.name, Note: h.note, Policies: h.policies, Expect: h.expect,
			Request: oracleRequest{Action: h.action, Resource: h.resource, Context: h.context},
		})
	}
	return out
}

// genRequest is an action on a resource it applies to.
type genRequest struct{ action, resource string }

var genRequests = []genRequest{
	{"dynamodb:GetItem", arnTable}, {"dynamodb:PutItem", arnTable}, {"dynamodb:UpdateItem", arnTable},
	{"dynamodb:DeleteItem", arnTable}, {"dynamodb:BatchGetItem", arnTable}, {"dynamodb:ConditionCheckItem", arnTable},
	{"dynamodb:Query", arnIndex}, {"dynamodb:Query", arnTable}, {"dynamodb:Scan", arnTable}, {"dynamodb:GetItem", arnOther},
	{"ses:SendEmail", arnIdentity}, {"ses:SendEmail", arnConfig}, {"ses:SendRawEmail", arnIdentity},
	{"sqs:SendMessage", arnQueue}, {"sqs:ReceiveMessage", arnQueue},
	{"s3:GetObject", arnObject}, {"s3:PutObject", arnObject},
}

var (
	genActions = []string{
		"*", "dynamodb:*", "dynamodb:GetItem", "dynamodb:Get*", "dynamodb:*Item", "dynamodb:?etItem", "DYNAMODB:putitem",
		"dynamodb:Query", "dynamodb:BatchGetItem", "ses:SendEmail", "ses:Send*", "sqs:*Message", "s3:*Object", "s3:Get*",
	}
	genResources = []string{
		"*", arnTable, arnIndex, arnOther, "arn:aws:dynamodb:*:*:table/registration", "arn:aws:dynamodb:ddblocal:000000000000:table/registration*",
		"arn:aws:dynamodb:ddblocal:000000000000:table/registration/*", "arn:aws:dynamodb:*", "arn:aws:dynamodb:ddblocal:000000000000:table/*",
		arnIdentity, "arn:aws:ses:us-east-1:123456789012:identity/*", arnConfig, "arn:aws:ses:*:*:*",
		arnQueue, "arn:aws:sqs:us-east-1:123456789012:out???", "arn:aws:s3:::uploads/*", "arn:aws:s3:::uploads/a/*/c.txt", "arn:aws:s3:::Uploads/*",
	}
	leadingPrefixes = []string{`"EMAIL#*"`, `"USERNAME#*"`, `"CUSTOMER#*"`, `"GUEST#*"`, `"ADMIN#*"`, `"CUSTOMER#1"`, `"?UEST#*"`}
	leadingValues   = []string{"EMAIL#a@b.example", "USERNAME#bob", "CUSTOMER#1", "CUSTOMER#", "GUEST#x", "ADMIN#root", "email#lower"}
	attributeValues = []string{"pk", "sk", "email", "password"}
	fromPatterns    = []string{`"no-reply@shop.example"`, `"*@shop.example"`, `"no-reply@*"`, `"NO-REPLY@SHOP.EXAMPLE"`, `"x@evil.example"`, `"no-reply@shop.exampl?"`}
	fromValues      = []string{"no-reply@shop.example", "No-Reply@shop.example", "x@evil.example", "no-reply@shop.example.evil"}
	recipientValues = []string{"a@x.example", "b@y.example", "c@x.example"}
	selectValues    = []string{"ALL_ATTRIBUTES", "COUNT", "SPECIFIC_ATTRIBUTES"}
	boolValues      = []string{"true", "false", "TRUE", "yes"}
	numberValues    = []string{"0", "30", "3600", "3600.5", "-1", "abc", "7200"}
	arnValues       = []string{arnQueue, "arn:aws:sns:us-east-1:123456789012:topic", "not-an-arn", arnQueue + ":extra", "arn:aws:sqs:eu-west-1:999999999999:outbox"}
	arnPatterns     = []string{`"arn:aws:sqs:*:*:*"`, `"arn:aws:sqs:us-east-1:123456789012:outbox"`, `"arn:aws:sns:*:123456789012:*"`, `"arn:aws:*:us-east-1:*:*"`, `"arn:aws:sqs:*:*:out*"`}
	teamValues      = []string{"ops", "dev", "Ops"}
)

// genCondition is one condition a generated statement may carry: its
// operator, key and policy values.
type genCondition struct{ op, key, values string }

// pick returns one element of list.
func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// someOf returns 1..max distinct elements of list, as a JSON array.
func someOf(r *rand.Rand, list []string, max int) string {
	n := 1 + r.IntN(max)
	perm := r.Perm(len(list))
	var out []string
	for _, i := range perm[:min(n, len(list))] {
		out = append(out, list[i])
	}
	if len(out) == 1 && r.IntN(2) == 0 {
		return out[0]
	}
	return "[" + strings.Join(out, ",") + "]"
}

func quoted(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		b, _ := json.Marshal(s)
		out[i] = string(b)
	}
	return out
}

// genConditionOf draws a condition. Plain operators go only on keys
// iam-simulate types as single-valued, set operators only on multivalued
// ones, and IfExists never after a set operator: elsewhere it and we are
// known to differ, and the hand cases say how.
func genConditionOf(r *rand.Rand) genCondition {
	ifExists := func(op string) string {
		if r.IntN(4) == 0 {
			return op + "IfExists"
		}
		return op
	}
	switch r.IntN(11) {
	case 0, 1, 2:
		op := pick(r, []string{"ForAllValues:StringLike", "ForAllValues:StringLike", "ForAnyValue:StringLike", "ForAllValues:StringNotLike", "ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringNotEquals"})
		return genCondition{op, "dynamodb:LeadingKeys", someOf(r, leadingPrefixes, 4)}
	case 3:
		op := pick(r, []string{"ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAllValues:StringNotEquals"})
		return genCondition{op, pick(r, []string{"dynamodb:Attributes", "ses:Recipients"}), someOf(r, quoted(append(attributeValues, recipientValues...)), 3)}
	case 4, 5:
		op := pick(r, []string{"StringEquals", "StringEquals", "StringLike", "StringNotEquals", "StringNotLike", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"})
		return genCondition{ifExists(op), "ses:FromAddress", someOf(r, fromPatterns, 2)}
	case 6:
		key := pick(r, []string{"dynamodb:Select", "aws:PrincipalTag/team"})
		vals := selectValues
		if key == "aws:PrincipalTag/team" {
			vals = teamValues
		}
		return genCondition{ifExists(pick(r, []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"})), key, someOf(r, quoted(vals), 2)}
	case 7:
		return genCondition{ifExists("Bool"), "aws:SecureTransport", pick(r, []string{`"true"`, `"false"`, `true`, `false`})}
	case 8:
		op := pick(r, []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"})
		return genCondition{ifExists(op), "aws:MultiFactorAuthAge", someOf(r, []string{`"30"`, `"3600"`, `3600`, `"3600.5"`, `"0"`}, 2)}
	case 9:
		op := pick(r, []string{"ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals"})
		return genCondition{ifExists(op), "aws:SourceArn", someOf(r, arnPatterns, 2)}
	}
	return genCondition{"Null", pick(r, []string{"ses:FromAddress", "aws:SecureTransport", "aws:PrincipalTag/team", "aws:MultiFactorAuthAge"}), pick(r, []string{`"true"`, `"false"`, `true`})}
}

// genStatement draws a statement, more often than not one whose action
// and resource cover req, so that its conditions decide.
func genStatement(r *rand.Rand, req genRequest) string {
	var b strings.Builder
	b.WriteString(`{"Effect":`)
	if r.IntN(10) < 3 {
		b.WriteString(`"Deny"`)
	} else {
		b.WriteString(`"Allow"`)
	}
	if r.IntN(5) == 0 {
		fmt.Fprintf(&b, `,"Sid":"S%d"`, r.IntN(1000))
	}
	element := "Action"
	if r.IntN(10) == 0 {
		element = "NotAction"
	}
	actions := genActions
	if r.IntN(10) < 6 {
		service, _, _ := strings.Cut(req.action, ":")
		actions = []string{req.action, strings.ToUpper(req.action), service + ":*"}
	}
	fmt.Fprintf(&b, `,%q:%s`, element, someOf(r, quoted(actions), 3))
	element = "Resource"
	if r.IntN(10) == 0 {
		element = "NotResource"
	}
	resources := genResources
	if r.IntN(10) < 6 {
		resources = []string{req.resource, "*", req.resource[:strings.LastIndexByte(req.resource, ':')+1] + "*"}
	}
	fmt.Fprintf(&b, `,%q:%s`, element, someOf(r, quoted(resources), 3))
	if r.IntN(10) < 6 {
		byOp := map[string][]genCondition{}
		for range 1 + r.IntN(3) {
			c := genConditionOf(r)
			byOp[c.op] = append(byOp[c.op], c)
		}
		b.WriteString(`,"Condition":{`)
		ops := slices.Sorted(func(yield func(string) bool) {
			for op := range byOp {
				if !yield(op) {
					return
				}
			}
		})
		for i, op := range ops {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:{", op)
			seen := map[string]bool{}
			first := true
			for _, c := range byOp[op] {
				if seen[c.key] {
					continue
				}
				seen[c.key] = true
				if !first {
					b.WriteByte(',')
				}
				first = false
				fmt.Fprintf(&b, "%q:%s", c.key, c.values)
			}
			b.WriteByte('}')
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.String()
}

// genContext draws a request context: single-valued keys get exactly one
// value (iam-simulate keeps only the first of several), multivalued ones
// zero to three.
func genContext(r *rand.Rand, req genRequest) ctx {
	c := ctx{}
	many := func(list []string) []string {
		out := []string{}
		for range r.IntN(4) {
			out = append(out, pick(r, list))
		}
		return slices.Compact(out)
	}
	maybe := func(key string, f func() []string) {
		if r.IntN(10) < 6 {
			c[key] = f()
		}
	}
	oneOf := func(list []string) func() []string { return func() []string { return []string{pick(r, list)} } }
	switch {
	case strings.HasPrefix(req.action, "dynamodb:"):
		// The keys each action takes, as iam-simulate's service data has
		// them (it drops any other).
		if req.action != "dynamodb:Scan" {
			maybe("dynamodb:LeadingKeys", func() []string { return many(leadingValues) })
		}
		maybe("dynamodb:Attributes", func() []string { return many(attributeValues) })
		switch req.action {
		case "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan":
			maybe("dynamodb:Select", oneOf(selectValues))
		}
	case strings.HasPrefix(req.action, "ses:"):
		maybe("ses:FromAddress", oneOf(fromValues))
		maybe("ses:Recipients", func() []string { return many(recipientValues) })
	}
	maybe("aws:SecureTransport", oneOf(boolValues))
	maybe("aws:MultiFactorAuthAge", oneOf(numberValues))
	maybe("aws:SourceArn", oneOf(arnValues))
	maybe("aws:PrincipalTag/team", oneOf(teamValues))
	return c
}

// generatedCases draws n cases: one or two policies of one to three
// statements each, and a request.
func generatedCases(r *rand.Rand, n int) []oracleCase {
	var out []oracleCase
	for i := range n {
		req := pick(r, genRequests)
		policies := map[string]json.RawMessage{}
		for p := range 1 + r.IntN(2) {
			var statements []string
			for range 1 + r.IntN(3) {
				statements = append(statements, genStatement(r, req))
			}
			policies[fmt.Sprintf("p%d", p)] = pol(statements...)
		}
		context := genContext(r, req)
		out = append(out, oracleCase{
			Name:     fmt.Sprintf("generated %03d", i),
			Policies: policies,
			Request:  oracleRequest{Action: req.action, Resource: req.resource, Context: context},
		})
	}
	return out
}
