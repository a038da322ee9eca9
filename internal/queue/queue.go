// Package queue is the SQS adapter of the mail queue.
package queue

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
)

// API is the part of the SQS client the queue uses.
type API interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Queue sends mail messages to one SQS queue.
type Queue struct {
	sqs API
	url string
}

var _ outbox.Queue = (*Queue)(nil)

// New returns a Queue for the queue at url.
func New(api API, url string) *Queue { return &Queue{sqs: api, url: url} }

// Send enqueues up to ten messages in one call and returns the ids SQS
// refused. The batch entry id is the message id, so a failure names its mail.
func (q *Queue) Send(ctx context.Context, msgs []mail.Message) ([]string, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	if len(msgs) > 10 {
		return nil, fmt.Errorf("queue: batch of %d exceeds SQS's 10", len(msgs))
	}
	entries := make([]types.SendMessageBatchRequestEntry, 0, len(msgs))
	for _, m := range msgs {
		body, err := m.Encode()
		if err != nil {
			return nil, err
		}
		entries = append(entries, types.SendMessageBatchRequestEntry{
			Id:          aws.String(entryID(m.ID)),
			MessageBody: aws.String(body),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"kind": {DataType: aws.String("String"), StringValue: aws.String(string(m.Kind))},
			},
		})
	}
	out, err := q.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url), Entries: entries})
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, "The mail queue is unavailable.", fmt.Errorf("sqs SendMessageBatch: %w", err))
	}
	byEntry := map[string]string{}
	for _, m := range msgs {
		byEntry[entryID(m.ID)] = m.ID
	}
	var failed []string
	for _, f := range out.Failed {
		failed = append(failed, byEntry[aws.ToString(f.Id)])
	}
	return failed, nil
}

// entryID makes a batch entry id (alphanumerics, '-' and '_', at most 80).
func entryID(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) > 80 {
		b = b[:80]
	}
	return string(b)
}
