package eventpattern

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The Pipes' filter patterns and input templates, as the CloudFormation
// template (infra/stack: OutboxFilter, EventsFilter, OutboxTemplate,
// EventsTemplate) gives them.
const (
	outboxFilter   = `{"eventName":["INSERT"],"dynamodb":{"NewImage":{"outboxMessage":{"S":[{"exists":true}]}}}}`
	eventsFilter   = `{"eventName":["INSERT"],"dynamodb":{"NewImage":{"outboxEvent":{"S":[{"exists":true}]},"eventType":{"S":[{"exists":true}]}}}}`
	outboxTemplate = `<$.dynamodb.NewImage.outboxMessage.S>`
	eventsTemplate = `<$.dynamodb.NewImage.outboxEvent.S>`
)

// readRecord reads a DynamoDB Stream record from testdata, in the shape
// Pipes presents it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html).
func readRecord(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// asModify turns an INSERT record into the MODIFY of the same item: the
// stream keeps the old image beside the new one.
func asModify(rec map[string]any) map[string]any {
	rec["eventName"] = "MODIFY"
	ddb := rec["dynamodb"].(map[string]any)
	ddb["OldImage"] = ddb["NewImage"]
	return rec
}

// asRemove turns an INSERT record into the REMOVE of the same item: a
// REMOVE has an OldImage and no NewImage.
func asRemove(rec map[string]any) map[string]any {
	rec["eventName"] = "REMOVE"
	ddb := rec["dynamodb"].(map[string]any)
	ddb["OldImage"] = ddb["NewImage"]
	delete(ddb, "NewImage")
	return rec
}

// without drops an attribute from the record's NewImage.
func without(attr string) func(map[string]any) map[string]any {
	return func(rec map[string]any) map[string]any {
		delete(rec["dynamodb"].(map[string]any)["NewImage"].(map[string]any), attr)
		return rec
	}
}

func same(rec map[string]any) map[string]any { return rec }

func TestTemplatePatternsKeepOnlyInsertsCarryingTheirAttribute(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		record  string
		change  func(map[string]any) map[string]any
		want    bool
	}{
		{"the outbox filter keeps an INSERT carrying outboxMessage", outboxFilter, "insert_outbox_message.json", same, true},
		{"the outbox filter drops a MODIFY", outboxFilter, "insert_outbox_message.json", asModify, false},
		{"the outbox filter drops a REMOVE", outboxFilter, "insert_outbox_message.json", asRemove, false},
		{"the outbox filter drops an INSERT without outboxMessage", outboxFilter, "insert_outbox_message.json", without("outboxMessage"), false},
		{"the outbox filter drops an INSERT of an event item", outboxFilter, "insert_outbox_event.json", same, false},
		{"the events filter keeps an INSERT carrying outboxEvent and eventType", eventsFilter, "insert_outbox_event.json", same, true},
		{"the events filter drops a MODIFY", eventsFilter, "insert_outbox_event.json", asModify, false},
		{"the events filter drops a REMOVE", eventsFilter, "insert_outbox_event.json", asRemove, false},
		{"the events filter drops an INSERT without outboxEvent", eventsFilter, "insert_outbox_event.json", without("outboxEvent"), false},
		{"the events filter drops an INSERT without eventType", eventsFilter, "insert_outbox_event.json", without("eventType"), false},
		{"the events filter drops an INSERT of a message item", eventsFilter, "insert_outbox_message.json", same, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := CompileForPipes(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			event, err := json.Marshal(tc.change(readRecord(t, tc.record)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Match(event)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTemplateInputTemplatesSendTheStoredStringAsIs(t *testing.T) {
	cases := []struct {
		name     string
		template string
		record   string
		attr     string
	}{
		{"the outbox template sends the message unquoted", outboxTemplate, "insert_outbox_message.json", "outboxMessage"},
		{"the events template sends the detail unquoted", eventsTemplate, "insert_outbox_event.json", "outboxEvent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := readRecord(t, tc.record)
			want := rec["dynamodb"].(map[string]any)["NewImage"].(map[string]any)[tc.attr].(map[string]any)["S"].(string)
			event, err := os.ReadFile(filepath.Join("testdata", tc.record))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Render(tc.template, event)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("the body %s is not the JSON the item stored", got)
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	p, err := CompileForPipes(outboxFilter)
	if err != nil {
		b.Fatal(err)
	}
	event, err := os.ReadFile(filepath.Join("testdata", "insert_outbox_message.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		ok, err := p.Match(event)
		if err != nil || !ok {
			b.Fatalf("Match = %v, %v", ok, err)
		}
	}
}
