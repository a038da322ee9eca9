package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/queue"
)

// mails decodes the mails the tests queue, as the mailer's dispatcher does.
var mails = func() *outbox.Registry {
	r := outbox.NewRegistry()
	mail.Register(r)
	return r
}()

// fakeDeliverer decodes each body, records delivered messages and fails
// those listed in fail.
type fakeDeliverer struct {
	mu        sync.Mutex
	fail      map[string]bool // message ids whose delivery fails
	delivered []string        // message ids delivered successfully
	calls     int             // messages that decoded
}

func (d *fakeDeliverer) Dispatch(_ context.Context, body string) error {
	m, err := mails.Decode(body)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.fail[m.ID] {
		return fmt.Errorf("send %s: throttled", m.ID)
	}
	d.delivered = append(d.delivered, m.ID)
	return nil
}

// barrierDeliverer blocks every Deliver until n calls have arrived, or fails
// when the context ends first: a sequential consumer never opens it.
type barrierDeliverer struct {
	n       int
	mu      sync.Mutex
	arrived int
	open    chan struct{}
}

func newBarrier(n int) *barrierDeliverer { return &barrierDeliverer{n: n, open: make(chan struct{})} }

func (b *barrierDeliverer) Dispatch(ctx context.Context, _ string) error {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// record returns an SQS record carrying a mail message with id.
func record(t *testing.T, sqsID, msgID string) events.SQSMessage {
	t.Helper()
	body, err := outbox.New(msgID, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		outbox.Recipient{Email: msgID + "@example.com", Language: "en"}, mail.AccountExistsNotice{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSMessage{MessageId: sqsID, Body: body, Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}

func failedIDs(resp events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name          string
		records       int
		failMsgs      []string // message ids the deliverer fails
		malformed     []int    // indexes of records whose body is not a message
		wantFailed    []string // SQS message ids reported as failures
		wantDelivered []string // message ids delivered
	}{
		{name: "an empty batch reports no failures",
			wantFailed: []string{}, wantDelivered: []string{}},
		{name: "a batch that all goes out reports no failures", records: 3,
			wantFailed: []string{}, wantDelivered: []string{"m0", "m1", "m2"}},
		{name: "only the records whose delivery failed are reported", records: 5, failMsgs: []string{"m1", "m3"},
			wantFailed: []string{"sqs-1", "sqs-3"}, wantDelivered: []string{"m0", "m2", "m4"}},
		{name: "a record with a malformed body is reported and the rest delivered", records: 4, malformed: []int{2},
			wantFailed: []string{"sqs-2"}, wantDelivered: []string{"m0", "m1", "m3"}},
		{name: "delivery failures and malformed bodies are reported together", records: 10,
			failMsgs: []string{"m0", "m9"}, malformed: []int{4, 5},
			wantFailed:    []string{"sqs-0", "sqs-4", "sqs-5", "sqs-9"},
			wantDelivered: []string{"m1", "m2", "m3", "m6", "m7", "m8"}},
		{name: "a batch where every delivery fails reports every record", records: 2, failMsgs: []string{"m0", "m1"},
			wantFailed: []string{"sqs-0", "sqs-1"}, wantDelivered: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDeliverer{fail: map[string]bool{}}
			for _, id := range tt.failMsgs {
				d.fail[id] = true
			}
			var ev events.SQSEvent
			for i := range tt.records {
				rec := record(t, fmt.Sprintf("sqs-%d", i), fmt.Sprintf("m%d", i))
				if slices.Contains(tt.malformed, i) {
					rec.Body = `{"id":` // truncated JSON
				}
				ev.Records = append(ev.Records, rec)
			}

			resp, err := queue.NewConsumer(d, discardLog()).Handle(context.Background(), ev)
			if err != nil {
				t.Fatalf("got error %v, want nil (failures are reported per record)", err)
			}
			if got := failedIDs(resp); !slices.Equal(got, tt.wantFailed) {
				t.Errorf("got failures %v, want %v", got, tt.wantFailed)
			}
			got := append([]string{}, d.delivered...)
			slices.Sort(got)
			if !slices.Equal(got, tt.wantDelivered) {
				t.Errorf("got delivered %v, want %v", got, tt.wantDelivered)
			}
			if want := tt.records - len(tt.malformed); d.calls != want {
				t.Errorf("got %d messages decoded, want %d (one per well-formed record)", d.calls, want)
			}
		})
	}

	t.Run("a message delivered as a JSON string literal is read like the raw message", func(t *testing.T) {
		d := &fakeDeliverer{}
		rec := record(t, "sqs-quoted", "m1")
		quoted, _ := json.Marshal(rec.Body)
		rec.Body = string(quoted)
		resp, err := queue.NewConsumer(d, discardLog()).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{rec}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("got %v, failures %v; want it delivered", err, failedIDs(resp))
		}
		if got, want := d.delivered, []string{"m1"}; !slices.Equal(got, want) {
			t.Errorf("got delivered %v, want %v", got, want)
		}
	})

	t.Run("a message that decodes but fails validation is reported without a delivery", func(t *testing.T) {
		d := &fakeDeliverer{}
		ev := events.SQSEvent{Records: []events.SQSMessage{
			{MessageId: "sqs-bad", Body: `{"id":"m1","kind":"email_validation","to":"ada@example.com"}`}, // no link
			record(t, "sqs-good", "m2"),
		}}
		resp, err := queue.NewConsumer(d, discardLog()).Handle(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := failedIDs(resp), []string{"sqs-bad"}; !slices.Equal(got, want) {
			t.Errorf("got failures %v, want %v", got, want)
		}
		if got, want := d.delivered, []string{"m2"}; !slices.Equal(got, want) {
			t.Errorf("got delivered %v, want %v", got, want)
		}
	})
}

func TestHandleDeliversConcurrently(t *testing.T) {
	t.Run("a batch of ten is delivered concurrently", func(t *testing.T) {
		const n = 10
		b := newBarrier(n)
		var ev events.SQSEvent
		for i := range n {
			ev.Records = append(ev.Records, record(t, fmt.Sprintf("sqs-%d", i), fmt.Sprintf("m%d", i)))
		}
		// A consumer delivering one record at a time blocks on the barrier
		// until this deadline and then reports every record as failed.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		resp, err := queue.NewConsumer(b, discardLog()).Handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("got the deadline exceeded with %d of %d deliveries started at once, want all %d in flight together", b.arrived, n, n)
		}
		if got := failedIDs(resp); len(got) != 0 {
			t.Errorf("got failures %v, want none", got)
		}
		if b.arrived != n {
			t.Errorf("got %d deliveries, want %d", b.arrived, n)
		}
	})
}

// laterDeliverer asks every message to run again after a while.
type laterDeliverer struct{ after time.Duration }

func (d laterDeliverer) Dispatch(context.Context, string) error {
	return fmt.Errorf("vat check: %w", &outbox.RetryLater{After: d.after, Reason: "VIES: MS_UNAVAILABLE"})
}

// holds records the messages held back.
type holds struct {
	mu   sync.Mutex
	held map[string]time.Duration
	err  error
}

func (h *holds) Hold(_ context.Context, receipt string, d time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held[receipt] = d
	return h.err
}

func TestRetryLater(t *testing.T) {
	tests := []struct {
		name    string
		holdErr error
	}{
		{"a job that asks to wait is held back that long and reported failed", nil},
		{"a hold that fails still reports the failure (SQS retries at its visibility timeout)", errors.New("sqs down")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &holds{held: map[string]time.Duration{}, err: tt.holdErr}
			rec := record(t, "sqs-1", "m-1")
			rec.ReceiptHandle = "receipt-1"
			c := queue.NewConsumer(laterDeliverer{after: 8 * time.Minute}, discardLog()).HoldWith(h)
			resp, err := c.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{rec}})
			if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "sqs-1" {
				t.Fatalf("resp %+v, %v: want the record reported failed", resp, err)
			}
			if got := h.held["receipt-1"]; got != 8*time.Minute {
				t.Fatalf("held %v, want 8m", got)
			}
		})
	}
	t.Run("a consumer without a holder leaves the message to the visibility timeout", func(t *testing.T) {
		resp, err := queue.NewConsumer(laterDeliverer{after: time.Minute}, discardLog()).Handle(context.Background(),
			events.SQSEvent{Records: []events.SQSMessage{record(t, "sqs-2", "m-2")}})
		if err != nil || len(resp.BatchItemFailures) != 1 {
			t.Fatalf("resp %+v, %v", resp, err)
		}
	})
}
