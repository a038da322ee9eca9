package queue

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/outbox"
)

// Dispatcher handles one queued message's body (outbox.Dispatcher).
type Dispatcher interface {
	Dispatch(ctx context.Context, body string) error
}

// Consumer is the mailer Lambda's SQS handler. It delivers a batch
// concurrently and reports each failed record as a batch item failure, so
// SQS retries only those (and, after the queue's maximum receives, moves
// them to the dead-letter queue) while the rest of the batch is done.
type Consumer struct {
	dispatcher Dispatcher
	holder     Holder
	log        *slog.Logger
}

// Holder holds a message back from its next delivery for a while (SQS
// ChangeMessageVisibility).
type Holder interface {
	Hold(ctx context.Context, receiptHandle string, d time.Duration) error
}

// HoldWith makes a job that asks to run later (*outbox.RetryLater) wait that
// long before SQS delivers it again (without a Holder it waits the queue's
// visibility timeout).
func (c *Consumer) HoldWith(h Holder) *Consumer {
	c.holder = h
	return c
}

// NewConsumer returns a Consumer.
func NewConsumer(d Dispatcher, log *slog.Logger) *Consumer {
	return &Consumer{dispatcher: d, log: log}
}

// Handle processes one SQS batch.
func (c *Consumer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var (
		mu   sync.Mutex
		resp events.SQSEventResponse
		wg   sync.WaitGroup
	)
	for _, rec := range ev.Records {
		wg.Add(1)
		go func(rec events.SQSMessage) {
			defer wg.Done()
			if err := c.one(ctx, rec); err != nil {
				var later *outbox.RetryLater
				if errors.As(err, &later) && c.holder != nil {
					if herr := c.holder.Hold(ctx, rec.ReceiptHandle, later.After); herr != nil {
						c.log.WarnContext(ctx, "could not hold the message back; SQS retries it at its visibility timeout",
							"sqsMessageId", rec.MessageId, "error", herr)
					}
				}
				c.log.ErrorContext(ctx, "mail not sent; SQS will retry it", "sqsMessageId", rec.MessageId,
					"receiveCount", rec.Attributes["ApproximateReceiveCount"], "error", err)
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
				mu.Unlock()
			}
		}(rec)
	}
	wg.Wait()
	return resp, nil
}

func (c *Consumer) one(ctx context.Context, rec events.SQSMessage) error {
	return c.dispatcher.Dispatch(ctx, body(rec.Body))
}

// body is the encoded message a record carries. The outbox Pipe's input
// template sends the outbox item's message string as the body; were a Pipe
// configuration ever to deliver it as a JSON string literal instead, it is
// read the same rather than parked in the dead-letter queue.
func body(raw string) string {
	if strings.HasPrefix(raw, `"`) {
		var s string
		if json.Unmarshal([]byte(raw), &s) == nil {
			return s
		}
	}
	return raw
}
