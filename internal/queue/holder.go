package queue

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// VisibilityChanger is the part of the SQS client a Holder uses.
type VisibilityChanger interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// SQSHolder holds messages of one queue back by changing their visibility
// timeout (at most SQS's 12 hours).
type SQSHolder struct {
	Client   VisibilityChanger
	QueueURL string
}

// maxVisibility is the longest visibility timeout SQS takes.
const maxVisibility = 12 * time.Hour

// Hold implements Holder.
func (h SQSHolder) Hold(ctx context.Context, receiptHandle string, d time.Duration) error {
	d = min(max(d, time.Second), maxVisibility)
	_, err := h.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(h.QueueURL), ReceiptHandle: aws.String(receiptHandle), VisibilityTimeout: int32(d / time.Second),
	})
	return err
}
