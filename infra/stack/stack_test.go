package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/openreg/registration/infra/stack"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/httpapi"
)

// settingsDoc is what an operator might pass; it must reach the functions
// unchanged (compacted).
const settingsDoc = `{
  "storeName": "Test Shop",
  "registrationType": "AdminApproval",
  "urls": {"publicApi": "https://api.shop.example", "storefront": "https://shop.example", "loginPath": "/login"},
  "mailFrom": "no-reply@shop.example"
}`

type synthesized struct {
	tpl      assertions.Template
	json     map[string]any
	errors   []string
	template string // path of the template file
}

var (
	once   sync.Once
	result synthesized
)

// synth builds the stack once for all tests: synthesizing starts the jsii
// runtime, which takes seconds.
func synth(t *testing.T) synthesized {
	t.Helper()
	once.Do(func() {
		codeDir, err := os.MkdirTemp("", "cdk-code-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(codeDir)
		for _, fn := range stack.Functions {
			if err := os.MkdirAll(filepath.Join(codeDir, fn), 0o755); err != nil {
				t.Fatal(err)
			}
			// A stand-in binary: the template does not depend on its contents.
			if err := os.WriteFile(filepath.Join(codeDir, fn, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		s, js, err := stack.ValidateSettings([]byte(settingsDoc))
		if err != nil {
			t.Fatal(err)
		}
		// Not t.TempDir: the assembly outlives the first test that asks for it.
		out, err := os.MkdirTemp("", "cdk-test-")
		if err != nil {
			t.Fatal(err)
		}
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
		st := stack.New(app, "Test", stack.Props{
			Settings: s, SettingsJSON: js, CodeDir: codeDir, OperatorEmail: "ops@shop.example",
		})
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		app.Synth(nil)
		result.tpl = assertions.Template_FromStack(st, nil)
		result.json = map[string]any{}
		b, _ := json.Marshal(result.tpl.ToJSON())
		_ = json.Unmarshal(b, &result.json)
		for _, kind := range []string{"error", "warning"} {
			//lint:ignore SA1019 Annotations_FromStack returns this type; its replacement has no Go binding yet.
			var found *[]*cxapi.SynthesisMessage
			if kind == "error" {
				found = assertions.Annotations_FromStack(st).FindError(jsii.String("*"), assertions.Match_AnyValue())
			} else {
				found = assertions.Annotations_FromStack(st).FindWarning(jsii.String("*"), assertions.Match_AnyValue())
			}
			for _, m := range *found {
				//lint:ignore SA1019 see above: the fields of the returned type.
				result.errors = append(result.errors, kind+": "+*m.Id+": "+jsonString(m.Entry.Data))
			}
		}
		result.template = filepath.Join(out, "Test.template.json")
	})
	if result.template == "" {
		t.Fatal("synthesis failed in an earlier test")
	}
	return result
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func resources(s synthesized, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if result.template != "" {
		os.RemoveAll(filepath.Dir(result.template))
	}
	jsii.Close()
	os.Exit(code)
}

func TestFunctions(t *testing.T) {
	s := synth(t)
	t.Run("every function is a bootstrap on provided.al2023 for arm64 with JSON logs", func(t *testing.T) {
		s.tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(float64(len(stack.Functions))))
		s.tpl.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), &map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
			"LoggingConfig": map[string]any{"LogFormat": "JSON"},
		})
	})
	t.Run("every log group keeps its logs for a set time", func(t *testing.T) {
		s.tpl.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), &map[string]any{"RetentionInDays": 30})
	})
	t.Run("the settings reach the functions unchanged", func(t *testing.T) {
		_, compact, _ := stack.ValidateSettings([]byte(settingsDoc))
		fns := resources(s, "AWS::Lambda::Function")
		for id, fn := range fns {
			env := fn["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
			if env[config.EnvSettings] != compact {
				t.Errorf("%s has settings %v, want %s", id, env[config.EnvSettings], compact)
			}
		}
	})
	t.Run("argon2id functions get a full GiB for CPU", func(t *testing.T) {
		for id, fn := range resources(s, "AWS::Lambda::Function") {
			p := fn["Properties"].(map[string]any)
			if (strings.HasPrefix(id, "Register") || strings.HasPrefix(id, "SignIn")) && p["MemorySize"] != float64(1024) {
				t.Errorf("%s memory = %v", id, p["MemorySize"])
			}
		}
	})
}

func TestRoutes(t *testing.T) {
	s := synth(t)
	routes := resources(s, "AWS::ApiGatewayV2::Route")
	got := map[string]bool{}
	for _, r := range routes {
		got[r["Properties"].(map[string]any)["RouteKey"].(string)] = true
	}
	for _, r := range httpapi.Routes {
		if !got[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not deployed", r.Method, r.Path)
		}
	}
	if len(got) != len(httpapi.Routes) {
		t.Errorf("deployed %d routes, the contract has %d", len(got), len(httpapi.Routes))
	}
	t.Run("only the storefront's origin may call from a browser, with credentials", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), &map[string]any{
			"CorsConfiguration": assertions.Match_ObjectLike(&map[string]any{
				"AllowOrigins": []any{"https://shop.example"}, "AllowCredentials": true,
			}),
		})
	})
	t.Run("the stage throttles and writes access logs", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), &map[string]any{
			"StageName":            "$default",
			"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100},
			"AccessLogSettings":    assertions.Match_ObjectLike(&map[string]any{"DestinationArn": assertions.Match_AnyValue()}),
		})
	})
}

func TestTable(t *testing.T) {
	s := synth(t)
	s.tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), &map[string]any{
		"DeletionPolicy": "Retain",
		"Properties": assertions.Match_ObjectLike(&map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": "ttl", "Enabled": true},
			"DeletionProtectionEnabled":        true,
			"GlobalSecondaryIndexes":           assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"IndexName": "GSI1"})}),
		}),
	})
}

func TestMailPath(t *testing.T) {
	s := synth(t)
	t.Run("the queue sends mails that keep failing to the dead-letter queue", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]any{
			"RedrivePolicy":        map[string]any{"deadLetterTargetArn": assertions.Match_AnyValue(), "maxReceiveCount": 5},
			"SqsManagedSseEnabled": true,
			"VisibilityTimeout":    180,
		})
	})
	t.Run("both queues refuse requests without TLS", func(t *testing.T) {
		s.tpl.ResourceCountIs(jsii.String("AWS::SQS::QueuePolicy"), jsii.Number(2))
		s.tpl.AllResourcesProperties(jsii.String("AWS::SQS::QueuePolicy"), &map[string]any{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}),
			})}),
		})
	})
	t.Run("the mailer reads batches of ten and reports partial failures", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), &map[string]any{
			"BatchSize": 10, "FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			"ScalingConfig": map[string]any{"MaximumConcurrency": 5}, "MaximumBatchingWindowInSeconds": 1,
		})
	})
	t.Run("SES sends through a configuration set that suppresses bounces", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::SES::ConfigurationSet"), &map[string]any{
			"SuppressionOptions": map[string]any{"SuppressedReasons": []any{"BOUNCE", "COMPLAINT"}},
		})
		s.tpl.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), &map[string]any{"EmailIdentity": "no-reply@shop.example"})
	})
	t.Run("bounces and complaints reach the ses-events function", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::SES::ConfigurationSetEventDestination"), &map[string]any{
			"EventDestination": assertions.Match_ObjectLike(&map[string]any{
				"MatchingEventTypes": []any{"bounce", "complaint"}, "Enabled": true,
			}),
		})
		s.tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), &map[string]any{
			"EventPattern": map[string]any{"source": []any{"aws.ses"}, "detail-type": []any{"Email Bounced", "Email Complaint Received"}},
		})
	})
	t.Run("the outbox relay runs every minute", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), &map[string]any{"ScheduleExpression": "rate(1 minute)"})
	})
}

// policyActions collects, per role, the actions its policies allow.
func policyActions(s synthesized) map[string][]string {
	out := map[string][]string{}
	for _, p := range resources(s, "AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		role := jsonString(props["Roles"])
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			switch a := st.(map[string]any)["Action"].(type) {
			case string:
				out[role] = append(out[role], a)
			case []any:
				for _, x := range a {
					out[role] = append(out[role], x.(string))
				}
			}
		}
	}
	return out
}

func TestLeastPrivilege(t *testing.T) {
	s := synth(t)
	t.Run("no role uses a managed policy", func(t *testing.T) {
		for id, r := range resources(s, "AWS::IAM::Role") {
			if _, ok := r["Properties"].(map[string]any)["ManagedPolicyArns"]; ok {
				t.Errorf("%s has managed policies", id)
			}
		}
	})
	t.Run("no statement allows every action or every resource", func(t *testing.T) {
		for id, p := range resources(s, "AWS::IAM::Policy") {
			for _, st := range p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				m := st.(map[string]any)
				if strings.Contains(jsonString(m["Action"]), `"*"`) || strings.Contains(jsonString(m["Action"]), `:*"`) || jsonString(m["Resource"]) == `"*"` {
					t.Errorf("%s allows %s on %s", id, jsonString(m["Action"]), jsonString(m["Resource"]))
				}
			}
		}
	})
	t.Run("each function has only the services it calls", func(t *testing.T) {
		want := map[string]struct{ has, lacks []string }{
			"Register":    {[]string{"dynamodb:PutItem", "dynamodb:BatchWriteItem", "sqs:SendMessage"}, []string{"ses:SendEmail", "dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem"}},
			"SignIn":      {[]string{"dynamodb:GetItem"}, []string{"sqs:SendMessage", "ses:SendEmail", "dynamodb:Scan"}},
			"VerifyEmail": {[]string{"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "sqs:SendMessage"}, []string{"ses:SendEmail", "dynamodb:Scan", "dynamodb:Query"}},
			"Mailer":      {[]string{"ses:SendEmail", "sqs:ReceiveMessage", "dynamodb:PutItem"}, []string{"sqs:SendMessage", "dynamodb:Query", "dynamodb:Scan"}},
			"OutboxRelay": {[]string{"dynamodb:Query", "dynamodb:BatchWriteItem", "sqs:SendMessage"}, []string{"dynamodb:PutItem", "ses:SendEmail"}},
			"SesEvents":   {[]string{"dynamodb:PutItem"}, []string{"dynamodb:GetItem", "sqs:SendMessage", "ses:SendEmail"}},
		}
		actions := policyActions(s)
		for fn, w := range want {
			var mine []string
			for role, acts := range actions {
				if strings.Contains(role, `"`+fn+"Role") {
					mine = append(mine, acts...)
				}
			}
			all := strings.Join(mine, " ")
			for _, a := range w.has {
				if !strings.Contains(all, a) {
					t.Errorf("%s lacks %s (has %s)", fn, a, all)
				}
			}
			for _, a := range w.lacks {
				if strings.Contains(all, a) {
					t.Errorf("%s has %s, which it does not use", fn, a)
				}
			}
		}
	})
}

func TestAlarms(t *testing.T) {
	s := synth(t)
	// DLQ, errors and throttles of every function, the API 5xx rate.
	s.tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(float64(1+2*len(stack.Functions)+1)))
	for id, a := range resources(s, "AWS::CloudWatch::Alarm") {
		if actions, _ := a["Properties"].(map[string]any)["AlarmActions"].([]any); len(actions) != 1 {
			t.Errorf("%s notifies %d topics, want the operator's one", id, len(actions))
		}
	}
	s.tpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), &map[string]any{"Protocol": "email", "Endpoint": "ops@shop.example"})
}

func TestOutputs(t *testing.T) {
	s := synth(t)
	outputs := s.json["Outputs"].(map[string]any)
	for _, name := range []string{"ApiUrl", "TableName", "MailQueueName", "MailDeadLetterQueueName"} {
		if _, ok := outputs[name]; !ok {
			t.Errorf("output %s missing", name)
		}
	}
}

func TestCdkNagAwsSolutionsPasses(t *testing.T) {
	s := synth(t)
	for _, e := range s.errors {
		t.Error(e)
	}
}

func TestCfnLintPasses(t *testing.T) {
	s := synth(t)
	lint, err := filepath.Abs(filepath.Join("..", "..", ".tools", "venv", "bin", "cfn-lint"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lint); err != nil {
		t.Fatalf("cfn-lint is not installed at %s: run `make tools`", lint)
	}
	cmd := exec.Command(lint, "--config-file", filepath.Join("..", "..", ".cfnlintrc.yaml"), s.template)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

func TestSettingsAreValidatedAtSynth(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"refuses an unknown registration type", `{"registrationType":"Open"}`, "settings.registrationType"},
		{"refuses an unknown key", `{"registrationTyp":"Standard"}`, "unknown field"},
		{"refuses a document too large for a Lambda environment", largeSettings(), "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := stack.ValidateSettings([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("the app refuses to synthesize without built functions", func(t *testing.T) {
		_, err := stack.PropsFromContext(func(key string) any {
			if key == stack.CtxCodeDir {
				return t.TempDir()
			}
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "make build") {
			t.Errorf("err = %v", err)
		}
	})
}

// largeSettings is a valid document larger than a Lambda environment holds.
func largeSettings() string {
	var consents []string
	for i := range 20 {
		consents = append(consents, fmt.Sprintf(`{"id":"c%d","message":"%s"}`, i, strings.Repeat("x", 200)))
	}
	return `{"consents":[` + strings.Join(consents, ",") + `]}`
}
