package eventpattern

import (
	"errors"
	"testing"
	"time"
)

// sqsEvent is an event with a string, a number, a boolean, a null, an object
// and an array, after AWS's Pipes input transformation examples
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html).
const sqsEvent = `{
  "attributes": {"SenderId": "AIDAIENQZJOLO23YVJ4VO"},
  "body": {"key": "value", "Records": [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]},
  "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "quote": "say \"hi\"\n"},
  "n": 3.50,
  "flag": true,
  "none": null,
  "message": "{\"kind\":\"confirm\"}"
}`

// renderCase is one template and what it renders sqsEvent to.
type renderCase struct{ name, template, want string }

// runRenderCases renders sqsEvent with each case's template as a subtest,
// with the reserved variables r gives.
func runRenderCases(t *testing.T, r Reserved, cases []renderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Render(tc.template, []byte(sqsEvent))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Render(%s)\ngot  %s\nwant %s", tc.template, got, tc.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	runRenderCases(t, Reserved{}, []renderCase{
		// The page's samples.
		{"renders a static string", `Hello, sender`, `Hello, sender`},
		{"renders the JSON Path form as the bare value", `<$.attributes.SenderId>`, `AIDAIENQZJOLO23YVJ4VO`},
		{"renders a dynamic string", `"Hello, <$.attributes.SenderId>"`, `"Hello, AIDAIENQZJOLO23YVJ4VO"`},
		{"renders static JSON unchanged", `{"key1": "value1", "key2": "value2"}`, `{"key1": "value1", "key2": "value2"}`},
		{"renders dynamic JSON with the value as JSON", `{"key1": "value1", "key2": <$.body.key>}`, `{"key1": "value1", "key2": "value"}`},
		{"renders an array item with square brackets", `{"key2": <$.body.Records[3]>}`, `{"key2": {"id":4}}`},
		{"renders the page's example with the string quoted", `{"instance" : <$.detail.instance-id>, "state": <$.detail.state>}`,
			`{"instance" : "i-0123456789", "state": "RUNNING"}`},
		// Strings.
		{"renders a string that holds JSON unquoted as a whole template", `<$.message>`, `{"kind":"confirm"}`},
		{"renders a string that holds JSON as a quoted JSON string in a JSON value", `{"m": <$.message>}`, `{"m": "{\"kind\":\"confirm\"}"}`},
		{"renders a string inside quotes without adding quotes", `{"state": "<$.detail.state>"}`, `{"state": "RUNNING"}`},
		{"escapes a string inside quotes so the JSON stays valid", `{"q": "<$.detail.quote>"}`, `{"q": "say \"hi\"\n"}`},
		{"escapes a string in a JSON value", `{"q": <$.detail.quote>}`, `{"q": "say \"hi\"\n"}`},
		{"writes a string in text as it is", `q=<$.detail.quote>`, "q=say \"hi\"\n"},
		{"keeps track of escaped quotes in the template", `{"a": "x \" <$.detail.state>", "b": <$.detail.state>}`, `{"a": "x \" RUNNING", "b": "RUNNING"}`},
		// Other values.
		{"writes a number as its JSON text", `{"n": <$.n>, "s": "<$.n>"}`, `{"n": 3.50, "s": "3.50"}`},
		{"writes true and null as JSON", `{"f": <$.flag>, "z": <$.none>}`, `{"f": true, "z": null}`},
		{"writes a number in text", `n=<$.n>`, `n=3.50`},
		{"writes an object in a JSON value as JSON", `{"body": <$.body.Records[0]>}`, `{"body": {"id":1}}`},
		{"writes an array in a JSON value as JSON", `[<$.body.Records>]`, `[[{"id":1},{"id":2},{"id":3},{"id":4}]]`},
		{"drops the quotes of an object written as a whole template", `<$.body.Records[0]>`, `{id:1}`},
		{"drops the quotes of an object written inside quotes", `{"b": "<$.body.Records[0]>"}`, `{"b": "{id:1}"}`},
		// Text that is not a placeholder.
		{"leaves a '<' that starts no placeholder", `a < b <$.n>`, `a < b 3.50`},
		{"leaves an HTML-looking tag", `<b><$.detail.state></b>`, `<b>RUNNING</b>`},
		// Reserved variables.
		{"writes the event in a JSON value", `{"e": <aws.pipes.event.json>}`, `{"e": ` + compactEvent + `}`},
		{"writes <aws.pipes.event> in a JSON value", `{"e": <aws.pipes.event>}`, `{"e": ` + compactEvent + `}`},
	})
}

const compactEvent = `{"attributes":{"SenderId":"AIDAIENQZJOLO23YVJ4VO"},"body":{"key":"value","Records":[{"id":1},{"id":2},{"id":3},{"id":4}]},"detail":{"instance-id":"i-0123456789","state":"RUNNING","quote":"say \"hi\"\n"},"n":3.50,"flag":true,"none":null,"message":"{\"kind\":\"confirm\"}"}`

func TestRenderReservedVariables(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("CET", 3600))
	r := Reserved{
		PipeARN:       "arn:aws:pipes:us-east-1:123456789012:pipe/example",
		PipeName:      "example",
		SourceARN:     "arn:aws:sqs:us-east-1:123456789012:source",
		EnrichmentARN: "arn:aws:lambda:us-east-1:123456789012:function:enrich",
		TargetARN:     "arn:aws:sqs:us-east-1:123456789012:target",
		Now:           func() time.Time { return at },
	}
	runRenderCases(t, r, []renderCase{
		{"writes the pipe's ARN and name quoted in JSON values",
			`{"pipeArn" : <aws.pipes.pipe-arn>, "pipeName" : <aws.pipes.pipe-name>}`,
			`{"pipeArn" : "arn:aws:pipes:us-east-1:123456789012:pipe/example", "pipeName" : "example"}`},
		{"writes the source, enrichment and target ARNs in text",
			`<aws.pipes.source-arn> <aws.pipes.enrichment-arn> <aws.pipes.target-arn>`,
			`arn:aws:sqs:us-east-1:123456789012:source arn:aws:lambda:us-east-1:123456789012:function:enrich arn:aws:sqs:us-east-1:123456789012:target`},
		{"writes the ingestion time as an ISO 8601 UTC timestamp from the clock",
			`{"d": <aws.pipes.event.ingestion-time>}`, `{"d": "2026-01-02T02:04:05.006Z"}`},
	})
}

func TestRenderRejects(t *testing.T) {
	cases := []struct {
		name     string
		template string
		want     error
	}{
		{"rejects an unknown reserved variable", `{"a": <aws.pipes.nope>}`, ErrInvalidTemplate},
		{"rejects an EventBridge rule variable", `<aws.events.rule-name>`, ErrInvalidTemplate},
		{"rejects aws.pipes.event.json inside quotes", `{"a": "<aws.pipes.event.json>"}`, ErrInvalidTemplate},
		{"rejects aws.pipes.event.json in text", `<aws.pipes.event.json>`, ErrInvalidTemplate},
		{"rejects an unterminated placeholder", `{"a": <$.n}`, ErrInvalidTemplate},
		{"rejects a wildcard path", `<$.body.Records[*].id>`, ErrInvalidPath},
		{"rejects a recursive-descent path", `<$..id>`, ErrInvalidPath},
		{"reports a path absent from the event", `<$.missing>`, ErrNoValue},
		{"reports a reserved variable without a value", `<aws.pipes.pipe-name>`, ErrNoValue},
		{"reports the ingestion time without a clock", `{"d": <aws.pipes.event.ingestion-time>}`, ErrNoValue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(tc.template, []byte(sqsEvent))
			if !errors.Is(err, tc.want) {
				t.Errorf("Render(%s) = %q, %v; want error %v", tc.template, got, err, tc.want)
			}
		})
	}
	t.Run("rejects an event that is not JSON", func(t *testing.T) {
		if _, err := Render(`<$.a>`, []byte(`{`)); err == nil {
			t.Error("got no error")
		}
	})
}
