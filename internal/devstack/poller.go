package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSHandler is the mailer's Lambda handler signature.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Poller does locally what Lambda's SQS event source mapping does in AWS,
// with the mapping's settings from the template (With): it receives batches
// of up to the batch size (gathering for up to the batching window),
// invokes the handler, with up to the maximum concurrency of batches at
// once, and deletes the records the handler did not report as failed (when
// the mapping honours partial batch responses; otherwise a returned
// response counts as the whole batch's success, as in Lambda). Failed
// records become visible again after the queue's visibility timeout and,
// after the redrive policy's maximum receives, move to the dead-letter
// queue (moto does that part, as SQS does). It polls with the clients it
// is given: in AWS the mapping uses the function's role.
type Poller struct {
	sqs      *sqs.Client
	queueURL string
	queueARN string
	handler  SQSHandler
	log      *slog.Logger
	mapping  EventSourceMapping
}

// NewPoller returns a Poller for one queue, with Lambda's defaults (batches
// of ten, no window, partial batch responses, one batch at a time) until
// With gives it the template's mapping.
func NewPoller(client *sqs.Client, queueURL, queueARN string, h SQSHandler, log *slog.Logger) *Poller {
	return &Poller{sqs: client, queueURL: queueURL, queueARN: queueARN, handler: h, log: log,
		mapping: EventSourceMapping{BatchSize: 10, ReportBatchItemFailures: true, MaximumConcurrency: 1}}
}

// With sets the event source mapping's settings.
func (p *Poller) With(m EventSourceMapping) *Poller {
	p.mapping = m
	return p
}

// Run polls until ctx ends, with as many concurrent pollers as the
// mapping's maximum concurrency.
func (p *Poller) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range max(1, p.mapping.MaximumConcurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := p.poll(ctx, 1, true); err != nil && ctx.Err() == nil {
					p.log.Warn("queue poll failed", "queue", p.queueARN, "error", err)
					time.Sleep(time.Second)
				}
			}
		}()
	}
	wg.Wait()
}

// receive gathers one batch: up to the batch size, for up to the window
// once a first message came (or, without the window, what the queue has
// now).
func (p *Poller) receive(ctx context.Context, waitSeconds int32, window bool) ([]types.Message, error) {
	var msgs []types.Message
	deadline := time.Time{}
	for len(msgs) < p.mapping.BatchSize {
		out, err := p.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.queueURL),
			MaxNumberOfMessages:         int32(min(10, p.mapping.BatchSize-len(msgs))),
			WaitTimeSeconds:             waitSeconds,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return msgs, fmt.Errorf("receive: %w", err)
		}
		msgs = append(msgs, out.Messages...)
		if len(out.Messages) == 0 {
			if len(msgs) == 0 || !window || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		waitSeconds = 0
		if deadline.IsZero() {
			deadline = time.Now().Add(time.Duration(p.mapping.WindowSeconds) * time.Second)
		}
	}
	return msgs, nil
}

// Once receives and handles one batch, waiting up to waitSeconds for a
// message to arrive, and returns how many it handled. It does not wait out
// the batching window (Run does): it is how tests step the mail path.
func (p *Poller) Once(ctx context.Context, waitSeconds int32) (int, error) {
	return p.poll(ctx, waitSeconds, false)
}

func (p *Poller) poll(ctx context.Context, waitSeconds int32, window bool) (int, error) {
	msgs, err := p.receive(ctx, waitSeconds, window)
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	ev := events.SQSEvent{}
	handles := map[string]string{}
	for _, m := range msgs {
		rec := events.SQSMessage{
			MessageId:         aws.ToString(m.MessageId),
			ReceiptHandle:     aws.ToString(m.ReceiptHandle),
			Body:              aws.ToString(m.Body),
			Md5OfBody:         aws.ToString(m.MD5OfBody),
			Attributes:        m.Attributes,
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs",
			EventSourceARN:    p.queueARN,
			AWSRegion:         "us-east-1",
		}
		for k, v := range m.MessageAttributes {
			rec.MessageAttributes[k] = events.SQSMessageAttribute{StringValue: v.StringValue, DataType: aws.ToString(v.DataType)}
		}
		ev.Records = append(ev.Records, rec)
		handles[rec.MessageId] = rec.ReceiptHandle
	}
	resp, err := p.handler(ctx, ev)
	if err != nil {
		// A handler error fails the whole batch, as in Lambda.
		return 0, fmt.Errorf("mailer failed the batch: %w", err)
	}
	if p.mapping.ReportBatchItemFailures {
		for _, f := range resp.BatchItemFailures {
			if _, ok := handles[f.ItemIdentifier]; !ok {
				// Lambda counts a failure it cannot place as the whole
				// batch's: nothing is deleted.
				return 0, fmt.Errorf("the function reported a failure of %q, no message of the batch", f.ItemIdentifier)
			}
			delete(handles, f.ItemIdentifier)
		}
	}
	var entries []types.DeleteMessageBatchRequestEntry
	i := 0
	for _, h := range handles {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h)})
		i++
	}
	for len(entries) > 0 {
		chunk := entries[:min(10, len(entries))]
		entries = entries[len(chunk):]
		del, err := p.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.queueURL), Entries: chunk})
		if err != nil {
			return 0, fmt.Errorf("delete: %w", err)
		}
		if len(del.Failed) > 0 {
			return 0, errors.New("delete: some messages were not deleted and will be delivered again")
		}
	}
	return len(ev.Records), nil
}
