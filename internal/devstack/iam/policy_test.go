package iam

import (
	"strings"
	"testing"
)

func TestParseRefuses(t *testing.T) {
	allow := func(rest string) string {
		return `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` + rest + `}}`
	}
	cond := func(block string) string {
		return allow(`"Action":"ses:SendEmail","Resource":"*","Condition":` + block)
	}
	tests := []struct {
		name, doc, want string
	}{
		{"refuses text that is not JSON", `{"Statement":`, "not a JSON object"},
		{"refuses trailing data", `{"Statement":[]} {}`, "trailing data"},
		{"refuses a document that is an array", `[]`, "not a JSON object"},
		{"refuses a missing Statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"refuses a Statement that is a string", `{"Statement":"x"}`, "Statement must be"},
		{"refuses a null Statement", `{"Statement":null}`, "Statement must be"},
		{"refuses another Version", `{"Version":"2008-10-17","Statement":[]}`, "Version must be"},
		{"refuses an unknown top-level element", `{"Statement":[],"Extra":1}`, `unknown element "Extra"`},
		{"refuses element names in another case", `{"statement":[]}`, `unknown element "statement"`},
		{"refuses a statement that is not an object", `{"Statement":[1]}`, "statement 0: not a JSON object"},
		{"refuses a missing Effect", `{"Statement":{"Action":"*","Resource":"*"}}`, "Effect must be"},
		{"refuses an Effect in lower case", `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, "Effect must be"},
		{"refuses a Principal", allow(`"Principal":"*","Action":"*","Resource":"*"`), "Principal belongs in resource-based policies"},
		{"refuses an unknown statement element", allow(`"Action":"*","Resource":"*","Resources":"*"`), `unknown element "Resources"`},
		{"refuses both Action and NotAction", allow(`"Action":"*","NotAction":"s3:*","Resource":"*"`), "both Action and NotAction"},
		{"refuses neither Action nor NotAction", allow(`"Resource":"*"`), "neither Action nor NotAction"},
		{"refuses both Resource and NotResource", allow(`"Action":"*","Resource":"*","NotResource":"*"`), "both Resource and NotResource"},
		{"refuses neither Resource nor NotResource", allow(`"Action":"*"`), "neither Resource nor NotResource"},
		{"refuses an empty Action array", allow(`"Action":[],"Resource":"*"`), "non-empty array"},
		{"refuses an Action that is a number", allow(`"Action":1,"Resource":"*"`), "must be a string"},
		{"refuses an Action array holding an object", allow(`"Action":[{}],"Resource":"*"`), "must be a string"},
		{"refuses an action without a service", allow(`"Action":"GetItem","Resource":"*"`), "is not"},
		{"refuses a wildcard in the service prefix", allow(`"Action":"dynamo*:GetItem","Resource":"*"`), "service prefix"},
		{"refuses an action with a space", allow(`"Action":"s3:Get Object","Resource":"*"`), "space"},
		{"refuses a policy variable in a Resource", allow(`"Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:username}/*"`), "policy variable"},
		{"refuses a policy variable in a NotResource", allow(`"Action":"s3:*","NotResource":["arn:aws:s3:::b/${aws:userid}"]`), "policy variable"},
		{"refuses a Resource that is not an ARN", allow(`"Action":"s3:*","Resource":"bucket/*"`), "not \"*\" nor an ARN"},
		{"refuses a wildcard service in a Resource", allow(`"Action":"s3:*","Resource":"arn:aws:*:::x"`), "service part"},
		{"refuses a short ARN without a star", allow(`"Action":"s3:*","Resource":"arn:aws:s3::"`), "fewer than the six parts"},
		{"refuses a short ARN that cannot span", allow(`"Action":"s3:*","Resource":"arn:aws:s3"`), "fewer than the six parts"},
		{"refuses an unknown operator", cond(`{"StringSortOf":{"ses:FromAddress":"a"}}`), `unsupported condition operator "StringSortOf"`},
		{"refuses a date operator", cond(`{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`), "unsupported condition operator"},
		{"refuses an IP operator", cond(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), "unsupported condition operator"},
		{"refuses a bare IfExists", cond(`{"IfExists":{"ses:FromAddress":"a"}}`), "unsupported condition operator"},
		{"refuses an unknown set operator", cond(`{"ForSomeValues:StringEquals":{"ses:FromAddress":"a"}}`), "unknown set operator"},
		{"refuses two set operators", cond(`{"ForAllValues:ForAnyValue:StringEquals":{"ses:FromAddress":"a"}}`), "unsupported condition operator"},
		{"refuses a set operator on Null", cond(`{"ForAllValues:Null":{"ses:FromAddress":"true"}}`), "Null takes neither"},
		{"refuses Null with IfExists", cond(`{"NullIfExists":{"ses:FromAddress":"true"}}`), "Null takes neither"},
		{"refuses a Condition that is an array", cond(`[]`), "object of operators"},
		{"refuses an operator whose keys are a string", cond(`{"StringEquals":"a"}`), "object of condition keys"},
		{"refuses an operator without keys", cond(`{"StringEquals":{}}`), "no condition key"},
		{"refuses an empty condition key", cond(`{"StringEquals":{"":"a"}}`), "empty condition key"},
		{"refuses an empty list of values", cond(`{"StringEquals":{"ses:FromAddress":[]}}`), "non-empty array"},
		{"refuses a null value", cond(`{"StringEquals":{"ses:FromAddress":null}}`), "values must be"},
		{"refuses an object value", cond(`{"StringEquals":{"ses:FromAddress":{"a":"b"}}}`), "values must be"},
		{"refuses a nested array value", cond(`{"StringEquals":{"ses:FromAddress":[["a"]]}}`), "values must be"},
		{"refuses a policy variable in a condition value", cond(`{"StringLike":{"ses:FromAddress":"${aws:username}@x"}}`), "policy variable"},
		{"refuses a Bool value that is not a boolean", cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), "not true or false"},
		{"refuses a Null value that is not a boolean", cond(`{"Null":{"ses:FromAddress":"absent"}}`), "not true or false"},
		{"refuses a numeric value that is not a number", cond(`{"NumericLessThan":{"aws:MultiFactorAuthAge":"ten"}}`), "not a decimal number"},
		{"refuses a numeric value with an exponent", cond(`{"NumericLessThan":{"aws:MultiFactorAuthAge":1e3}}`), "not a decimal number"},
		{"refuses an ARN value of five parts", cond(`{"ArnLike":{"aws:SourceArn":"arn:aws:sqs:us-east-1:*"}}`), "six parts"},
		{"refuses an ARN value that is a star", cond(`{"ArnEquals":{"aws:SourceArn":"*"}}`), "six parts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			checkError(t, "Parse("+tt.doc+")", err, tt.want)
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, doc  string
		statements int
	}{
		{"accepts the template's policy", templatePolicy, 3},
		{"accepts a Statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, 1},
		{"accepts a policy without Version", `{"Statement":[{"Effect":"Deny","NotAction":["s3:*"],"NotResource":"*"}]}`, 1},
		{"accepts an Id and a Sid", `{"Id":"x","Statement":[{"Sid":"One","Effect":"Allow","Action":"*","Resource":"*"}]}`, 1},
		{"accepts an empty Statement array", `{"Statement":[]}`, 0},
		{"accepts booleans and numbers as condition values", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"aws:MultiFactorAuthAge":[3600,"7200.5"]}}}}`, 1},
		{"accepts operators in any case", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"forallvalues:stringlikeifexists":{"dynamodb:LeadingKeys":"A#*"}}}}`, 1},
		{"accepts a short ARN that a star spans", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:dynamodb:*"}}`, 1},
		{"accepts a literal dollar", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/$x","Condition":{"StringEquals":{"ses:FromAddress":"$a"}}}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.Statements(), tt.statements; got != want {
				t.Errorf("%d statements, want %d", got, want)
			}
		})
	}
}

func TestParseTurnsValuesIntoStrings(t *testing.T) {
	p, err := Parse([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":[true,10,1.50,"x"]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.statements[0].conditions[0].values, " ")
	if want := "true 10 1.50 x"; got != want {
		t.Errorf("values %q, want %q", got, want)
	}
}
