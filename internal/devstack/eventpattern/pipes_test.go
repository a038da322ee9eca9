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

// Sample records in testdata: DynamoDB Stream records in the shape Pipes
// presents them (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html).
const (
	messageRecord = "insert_outbox_message.json"
	eventRecord   = "insert_outbox_event.json"
)

// sampleRecord reads a sample record from testdata, as Pipes passes it on.
func sampleRecord(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodedRecord is a sample record decoded, to change it or read from it.
func decodedRecord(t testing.TB, name string) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal(sampleRecord(t, name), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// streamOf is the "dynamodb" object of a record: its keys and images.
func streamOf(rec map[string]any) map[string]any { return rec["dynamodb"].(map[string]any) }

// newImage is the item a record's change wrote.
func newImage(rec map[string]any) map[string]any { return streamOf(rec)["NewImage"].(map[string]any) }

// asModify turns an INSERT record into the MODIFY of the same item: the
// stream keeps the old image beside the new one.
func asModify(rec map[string]any) {
	rec["eventName"] = "MODIFY"
	streamOf(rec)["OldImage"] = newImage(rec)
}

// asRemove turns an INSERT record into the REMOVE of the same item: a
// REMOVE has an OldImage and no NewImage.
func asRemove(rec map[string]any) {
	asModify(rec)
	rec["eventName"] = "REMOVE"
	delete(streamOf(rec), "NewImage")
}

// without drops an attribute from the record's NewImage.
func without(attr string) func(map[string]any) {
	return func(rec map[string]any) { delete(newImage(rec), attr) }
}

func TestTemplatePatternsKeepOnlyInsertsCarryingTheirAttribute(t *testing.T) {
	// record is a sample record, changed by change when it is not nil.
	record := func(name string, change func(map[string]any)) string {
		if change == nil {
			return string(sampleRecord(t, name))
		}
		rec := decodedRecord(t, name)
		change(rec)
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	runMatchCases(t, CompileForPipes, []matchCase{
		{"the outbox filter keeps an INSERT carrying outboxMessage", outboxFilter, record(messageRecord, nil), true},
		{"the outbox filter drops a MODIFY", outboxFilter, record(messageRecord, asModify), false},
		{"the outbox filter drops a REMOVE", outboxFilter, record(messageRecord, asRemove), false},
		{"the outbox filter drops an INSERT without outboxMessage", outboxFilter, record(messageRecord, without("outboxMessage")), false},
		{"the outbox filter drops an INSERT of an event item", outboxFilter, record(eventRecord, nil), false},
		{"the events filter keeps an INSERT carrying outboxEvent and eventType", eventsFilter, record(eventRecord, nil), true},
		{"the events filter drops a MODIFY", eventsFilter, record(eventRecord, asModify), false},
		{"the events filter drops a REMOVE", eventsFilter, record(eventRecord, asRemove), false},
		{"the events filter drops an INSERT without outboxEvent", eventsFilter, record(eventRecord, without("outboxEvent")), false},
		{"the events filter drops an INSERT without eventType", eventsFilter, record(eventRecord, without("eventType")), false},
		{"the events filter drops an INSERT of a message item", eventsFilter, record(messageRecord, nil), false},
	})
}

func TestTemplateInputTemplatesSendTheStoredStringAsIs(t *testing.T) {
	cases := []struct{ name, template, record, attr string }{
		{"the outbox template sends the message unquoted", outboxTemplate, messageRecord, "outboxMessage"},
		{"the events template sends the detail unquoted", eventsTemplate, eventRecord, "outboxEvent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := newImage(decodedRecord(t, tc.record))[tc.attr].(map[string]any)["S"].(string)
			got, err := Render(tc.template, sampleRecord(t, tc.record))
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
	event := sampleRecord(b, messageRecord)
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		ok, err := p.Match(event)
		if err != nil || !ok {
			b.Fatalf("Match = %v, %v", ok, err)
		}
	}
}
