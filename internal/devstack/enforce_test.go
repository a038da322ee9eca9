package devstack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

const testTableARN = "arn:aws:dynamodb:ddblocal:000000000000:table/t"

func testEnforcer() *Enforcer {
	return &Enforcer{res: resourceNames{
		tableARNPrefix: "arn:aws:dynamodb:ddblocal:000000000000:table/",
		hashKeys:       map[string]string{"t": "PK", "t/index/byStatus": "statusKey"},
		identities:     map[string]bool{"no-reply@shop.example": true},
	}}
}

// TestWhatACallNeeds: each call is authorized as AWS authorizes it: the
// actions, the resources and the condition keys, from every key the call
// touches.
func TestWhatACallNeeds(t *testing.T) {
	tests := []struct {
		name    string
		service string
		target  string
		path    string
		body    string
		want    []string // "action resource key=values;…"
	}{
		{"a GetItem needs GetItem on the table with its partition key", "dynamodb", "DynamoDB_20120810.GetItem", "/",
			`{"TableName":"t","Key":{"PK":{"S":"EMAIL#a"},"SK":{"S":"x"}}}`,
			[]string{"dynamodb:GetItem " + testTableARN + " dynamodb:LeadingKeys=[EMAIL#a]"}},
		{"a PutItem's key comes from its item", "dynamodb", "DynamoDB_20120810.PutItem", "/",
			`{"TableName":"t","Item":{"PK":{"S":"GUEST#g"},"SK":{"S":"x"},"n":{"N":"1"}}}`,
			[]string{"dynamodb:PutItem " + testTableARN + " dynamodb:LeadingKeys=[GUEST#g]"}},
		{"a Query's key comes from its key condition, through the attribute names", "dynamodb", "DynamoDB_20120810.Query", "/",
			`{"TableName":"t","KeyConditionExpression":"#pk = :pk AND begins_with(#sk, :p)","ExpressionAttributeNames":{"#pk":"PK","#sk":"SK"},"ExpressionAttributeValues":{":pk":{"S":"CUSTOMER#1"},":p":{"S":"A"}}}`,
			[]string{"dynamodb:Query " + testTableARN + " dynamodb:LeadingKeys=[CUSTOMER#1]"}},
		{"a Query on an index is on the index, keyed by its partition key", "dynamodb", "DynamoDB_20120810.Query", "/",
			`{"TableName":"t","IndexName":"byStatus","KeyConditionExpression":"statusKey = :s","ExpressionAttributeValues":{":s":{"S":"pending"}}}`,
			[]string{"dynamodb:Query " + testTableARN + "/index/byStatus dynamodb:LeadingKeys=[pending]"}},
		{"a transaction needs each part's own action on its own key", "dynamodb", "DynamoDB_20120810.TransactWriteItems", "/",
			`{"TransactItems":[{"Put":{"TableName":"t","Item":{"PK":{"S":"CUSTOMER#1"},"SK":{"S":"p"}}}},{"ConditionCheck":{"TableName":"t","Key":{"PK":{"S":"EMAIL#a"},"SK":{"S":"e"}}}},{"Delete":{"TableName":"t","Key":{"PK":{"S":"GUEST#g"},"SK":{"S":"c"}}}},{"Update":{"TableName":"t","Key":{"PK":{"S":"RATE#r"},"SK":{"S":"r"}}}}]}`,
			[]string{
				"dynamodb:PutItem " + testTableARN + " dynamodb:LeadingKeys=[CUSTOMER#1]",
				"dynamodb:ConditionCheckItem " + testTableARN + " dynamodb:LeadingKeys=[EMAIL#a]",
				"dynamodb:DeleteItem " + testTableARN + " dynamodb:LeadingKeys=[GUEST#g]",
				"dynamodb:UpdateItem " + testTableARN + " dynamodb:LeadingKeys=[RATE#r]",
			}},
		{"a BatchGetItem needs one authorization with every key it reads", "dynamodb", "DynamoDB_20120810.BatchGetItem", "/",
			`{"RequestItems":{"t":{"Keys":[{"PK":{"S":"EMAIL#a"},"SK":{"S":"x"}},{"PK":{"S":"GUEST#g"},"SK":{"S":"y"}}]}}}`,
			[]string{"dynamodb:BatchGetItem " + testTableARN + " dynamodb:LeadingKeys=[EMAIL#a GUEST#g]"}},
		{"a BatchWriteItem takes keys from its puts and its deletes", "dynamodb", "DynamoDB_20120810.BatchWriteItem", "/",
			`{"RequestItems":{"t":[{"PutRequest":{"Item":{"PK":{"S":"A#1"},"SK":{"S":"x"}}}},{"DeleteRequest":{"Key":{"PK":{"S":"B#2"},"SK":{"S":"y"}}}}]}}`,
			[]string{"dynamodb:BatchWriteItem " + testTableARN + " dynamodb:LeadingKeys=[A#1 B#2]"}},
		{"a Scan has no leading keys", "dynamodb", "DynamoDB_20120810.Scan", "/",
			`{"TableName":"t"}`,
			[]string{"dynamodb:Scan " + testTableARN}},
		{"a stream's records are read on the stream its iterator names", "dynamodb", "DynamoDBStreams_20120810.GetRecords", "/",
			`{"ShardIterator":"` + testTableARN + `/stream/2026|001|abc"}`,
			[]string{"dynamodb:GetRecords " + testTableARN + "/stream/2026"}},
		{"an SQS batch is authorized as its single action on the queue", "sqs", "AmazonSQS.SendMessageBatch", "/",
			`{"QueueUrl":"http://127.0.0.1:5000/123456789012/mail","Entries":[]}`,
			[]string{"sqs:SendMessage arn:aws:sqs:us-east-1:123456789012:mail"}},
		{"an SES mail is authorized on its identity and configuration set, as its bare sender", "ses", "", "/v2/email/outbound-emails",
			`{"FromEmailAddress":"Test Shop <no-reply@shop.example>","ConfigurationSetName":"cs","Destination":{"ToAddresses":["a@example.com"]}}`,
			[]string{
				"ses:SendEmail arn:aws:ses:us-east-1:123456789012:identity/no-reply@shop.example ses:ApiVersion=[2];ses:FromAddress=[no-reply@shop.example];ses:FromDisplayName=[Test Shop];ses:Recipients=[a@example.com]",
				"ses:SendEmail arn:aws:ses:us-east-1:123456789012:configuration-set/cs ses:ApiVersion=[2];ses:FromAddress=[no-reply@shop.example];ses:FromDisplayName=[Test Shop];ses:Recipients=[a@example.com]",
			}},
		{"a sender without an identity of its own sends as its domain", "ses", "", "/v2/email/outbound-emails",
			`{"FromEmailAddress":"other@shop.example","Destination":{"ToAddresses":["a@example.com"]}}`,
			[]string{"ses:SendEmail arn:aws:ses:us-east-1:123456789012:identity/shop.example ses:ApiVersion=[2];ses:FromAddress=[other@shop.example];ses:Recipients=[a@example.com]"}},
		{"events are authorized per entry on their bus", "events", "AWSEvents.PutEvents", "/",
			`{"Entries":[{"EventBusName":"bus","Source":"openreg.customers","DetailType":"customer.registered","Detail":"{}"}]}`,
			[]string{"events:PutEvents arn:aws:events:us-east-1:123456789012:event-bus/bus events:detail-type=[customer.registered];events:source=[openreg.customers]"}},
		{"an SSM call without a name is on every parameter", "ssm", "AmazonSSM.DescribeParameters", "/", `{}`,
			[]string{"ssm:DescribeParameters *"}},
		{"a parameter path is the parameters under it", "ssm", "AmazonSSM.GetParametersByPath", "/", `{"Path":"/shop","WithDecryption":true}`,
			[]string{"ssm:GetParametersByPath arn:aws:ssm:us-east-1:123456789012:parameter/shop"}},
		{"a queue is named by its URL's last segment, as moto reads it", "sqs", "AmazonSQS.ReceiveMessage", "/", `{"QueueUrl":"http://127.0.0.1:5000/123456789012/allowed?x=/secret"}`,
			[]string{"sqs:ReceiveMessage arn:aws:sqs:us-east-1:123456789012:secret"}},
		{"a secret is read by its ARN", "secretsmanager", "secretsmanager.GetSecretValue", "/",
			`{"SecretId":"arn:aws:secretsmanager:us-east-1:123456789012:secret:dk-AbCdEf"}`,
			[]string{"secretsmanager:GetSecretValue arn:aws:secretsmanager:us-east-1:123456789012:secret:dk-AbCdEf"}},
	}
	e := testEnforcer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.path, nil)
			if tt.target != "" {
				r.Header.Set("X-Amz-Target", tt.target)
			}
			checks, err := e.checks(tt.service, r, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range checks {
				got = append(got, describe(c))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func describe(c check) string {
	s := c.action + " " + c.resource
	var keys []string
	for k := range c.context {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return s
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, c.context[k]))
	}
	return s + " " + strings.Join(parts, ";")
}

// TestCallsTheEnforcerCannotReadAreRefused: a call whose keys cannot be
// worked out is refused, never let through.
func TestCallsTheEnforcerCannotReadAreRefused(t *testing.T) {
	tests := []struct {
		name, service, target, path, body string
	}{
		{"a Query whose key condition names no partition key", "dynamodb", "DynamoDB_20120810.Query", "/", `{"TableName":"t","KeyConditionExpression":"SK = :s","ExpressionAttributeValues":{":s":{"S":"x"}}}`},
		{"a key without its partition key", "dynamodb", "DynamoDB_20120810.GetItem", "/", `{"TableName":"t","Key":{"SK":{"S":"x"}}}`},
		{"a table the template does not have", "dynamodb", "DynamoDB_20120810.GetItem", "/", `{"TableName":"other","Key":{"PK":{"S":"x"}}}`},
		{"an SES call other than SendEmail", "ses", "", "/v2/email/identities", `{}`},
		{"a service the enforcer does not know", "lambda", "", "/", `{}`},
		{"a body with keys differing in case alone", "secretsmanager", "secretsmanager.GetSecretValue", "/", `{"SecretId":"arn:a","secretId":"arn:b"}`},
		{"a put with both a Key and an Item", "dynamodb", "DynamoDB_20120810.PutItem", "/", `{"TableName":"t","Key":{"PK":{"S":"EMAIL#a"}},"Item":{"PK":{"S":"OTHER#b"}}}`},
		{"a target of more than Service.Operation", "ssm", "AmazonSSM.GetParameter.DeleteParameter", "/", `{"Name":"/x"}`},
	}
	e := testEnforcer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.path, nil)
			r.Header.Set("X-Amz-Target", tt.target)
			if checks, err := e.checks(tt.service, r, []byte(tt.body)); err == nil {
				t.Errorf("got %v, want an error", checks)
			}
		})
	}
}

// TestDenialsLookAsInAWS: a refused call gets the service's own error shape
// (which the SDK turns into AccessDeniedException), never reaches the
// emulator, and is logged with the principal, action and resource.
func TestDenialsLookAsInAWS(t *testing.T) {
	tpl, err := ParseTemplate([]byte(`{"Resources":{
		"Table":{"Type":"AWS::DynamoDB::Table","Properties":{"KeySchema":[{"AttributeName":"PK","KeyType":"HASH"}]}},
		"Role":{"Type":"AWS::IAM::Role","Properties":{}},
		"Policy":{"Type":"AWS::IAM::Policy","Properties":{"Roles":[{"Ref":"Role"}],"PolicyDocument":{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":{"Fn::GetAtt":["Table","Arn"]},"Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["EMAIL#*"]}}}]}}},
		"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Role":{"Fn::GetAtt":["Role","Arn"]},"Tags":[{"Key":"openreg:function","Value":"sign-in"}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	emulator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, `{}`)
	}))
	defer emulator.Close()
	var logs bytes.Buffer
	locals := Locals{"Table": {"Ref": "t", "Arn": testTableARN}}
	e, err := NewEnforcer(tpl, locals, emulator.URL, emulator.URL, slog.New(slog.NewTextHandler(&logs, nil)), "ADMIN")
	if err != nil {
		t.Fatal(err)
	}
	call := func(key, pk string) *httptest.ResponseRecorder {
		body := fmt.Sprintf(`{"TableName":"t","Key":{"PK":{"S":%q}}}`, pk)
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20261206/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00")
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		return w
	}
	if w := call(AccessKeyFor(KindFunction, "sign-in"), "EMAIL#a"); w.Code != http.StatusOK || reached != 1 {
		t.Fatalf("allowed call: %d %s (reached %d)", w.Code, w.Body, reached)
	}
	w := call(AccessKeyFor(KindFunction, "sign-in"), "GUEST#g")
	var body struct {
		Type string `json:"__type"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != http.StatusBadRequest || !strings.HasSuffix(body.Type, "#AccessDeniedException") || reached != 1 {
		t.Errorf("denied call: %d %s (reached %d), want 400 AccessDeniedException, not forwarded", w.Code, w.Body, reached)
	}
	if !strings.Contains(w.Body.String(), "is not authorized to perform: dynamodb:GetItem on resource: "+testTableARN) {
		t.Errorf("message %s does not name the action and resource", w.Body)
	}
	for _, want := range []string{"principal=sign-in", "action=dynamodb:GetItem", "resource=" + testTableARN, "dynamodb:LeadingKeys=[GUEST#g]"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q: %s", want, logs.String())
		}
	}
	t.Run("a call the emulators would read differently is refused", func(t *testing.T) {
		for name, mutate := range map[string]func(*http.Request){
			"two targets":    func(r *http.Request) { r.Header.Add("X-Amz-Target", "DynamoDB_20120810.DeleteItem") },
			"a query string": func(r *http.Request) { r.URL.RawQuery = "Action=DeleteItem" },
		} {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"TableName":"t","Key":{"PK":{"S":"EMAIL#a"}}}`))
			r.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+AccessKeyFor(KindFunction, "sign-in")+"/20261206/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00")
			mutate(r)
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != http.StatusForbidden || reached != 1 {
				t.Errorf("%s: %d (reached %d), want 403 and not forwarded", name, w.Code, reached)
			}
		}
	})
	if w := call("ADMIN", "GUEST#g"); w.Code != http.StatusOK || reached != 2 {
		t.Errorf("the developer's own key: %d, want passed through", w.Code)
	}
	if w := call("SOMEONEELSE", "EMAIL#a"); w.Code != http.StatusBadRequest || reached != 2 {
		t.Errorf("a key that is neither a principal nor the developer's: %d (reached %d), want refused", w.Code, reached)
	}
}

// BenchmarkEnforce is the enforcing layer's own cost for one call (a
// four-part transaction, the request path's largest), upstream answering at
// once: reading the body, finding every key, evaluating the role.
func BenchmarkEnforce(b *testing.B) {
	tpl, err := ParseTemplate([]byte(`{"Resources":{
		"Table":{"Type":"AWS::DynamoDB::Table","Properties":{"KeySchema":[{"AttributeName":"PK","KeyType":"HASH"}]}},
		"Role":{"Type":"AWS::IAM::Role","Properties":{}},
		"Policy":{"Type":"AWS::IAM::Policy","Properties":{"Roles":[{"Ref":"Role"}],"PolicyDocument":{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:UpdateItem","dynamodb:DeleteItem","dynamodb:ConditionCheckItem"],"Resource":{"Fn::GetAtt":["Table","Arn"]},
			 "Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["CUSTOMER#*","EMAIL#*","USERNAME#*","REGISTRATION#*","OUTBOX#*","RATE#*","GUEST#*"]}}}]}}},
		"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Role":{"Fn::GetAtt":["Role","Arn"]},"Tags":[{"Key":"openreg:function","Value":"register"}]}}}}`))
	if err != nil {
		b.Fatal(err)
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	defer upstream.Close()
	e, err := NewEnforcer(tpl, Locals{"Table": {"Ref": "t", "Arn": testTableARN}}, upstream.URL, upstream.URL, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	body := `{"TransactItems":[{"Put":{"TableName":"t","Item":{"PK":{"S":"CUSTOMER#1"},"SK":{"S":"p"},"email":{"S":"a@example.com"},"profile":{"M":{"firstName":{"S":"Ada"}}}}}},` +
		`{"Put":{"TableName":"t","Item":{"PK":{"S":"EMAIL#a@example.com"},"SK":{"S":"e"}}}},{"Put":{"TableName":"t","Item":{"PK":{"S":"OUTBOX#1"},"SK":{"S":"o"}}}},` +
		`{"Update":{"TableName":"t","Key":{"PK":{"S":"RATE#r"},"SK":{"S":"r"}}}}]}`
	key := AccessKeyFor(KindFunction, "register")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", "DynamoDB_20120810.TransactWriteItems")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20261206/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00")
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
