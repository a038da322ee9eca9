package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSHandler is the mailer's Lambda handler signature.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Poller does locally what Lambda's SQS event source mapping does in AWS:
// it receives batches, invokes the handler, and deletes the records the
// handler did not report as failed. Failed records become visible again
// after the queue's visibility timeout and, after the redrive policy's
// maximum receives, move to the dead-letter queue.
type Poller struct {
	sqs      *sqs.Client
	queueURL string
	queueARN string
	handler  SQSHandler
	log      *slog.Logger
}

// NewPoller returns a Poller for one queue.
func NewPoller(client *sqs.Client, queueURL, queueARN string, h SQSHandler, log *slog.Logger) *Poller {
	return &Poller{sqs: client, queueURL: queueURL, queueARN: queueARN, handler: h, log: log}
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if _, err := p.Once(ctx, 1); err != nil && ctx.Err() == nil {
			p.log.Warn("mail poll failed", "error", err)
			time.Sleep(time.Second)
		}
	}
}

// Once receives and handles one batch of up to ten messages, waiting up to
// waitSeconds for one to arrive, and returns how many it handled.
func (p *Poller) Once(ctx context.Context, waitSeconds int32) (int, error) {
	out, err := p.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(p.queueURL),
		MaxNumberOfMessages:         10,
		WaitTimeSeconds:             waitSeconds,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return 0, fmt.Errorf("receive: %w", err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	ev := events.SQSEvent{}
	handles := map[string]string{}
	for _, m := range out.Messages {
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
	for _, f := range resp.BatchItemFailures {
		delete(handles, f.ItemIdentifier)
	}
	var entries []types.DeleteMessageBatchRequestEntry
	i := 0
	for _, h := range handles {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h)})
		i++
	}
	if len(entries) > 0 {
		del, err := p.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.queueURL), Entries: entries})
		if err != nil {
			return 0, fmt.Errorf("delete: %w", err)
		}
		if len(del.Failed) > 0 {
			return 0, errors.New("delete: some messages were not deleted and will be delivered again")
		}
	}
	return len(ev.Records), nil
}
