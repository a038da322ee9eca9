package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/sizing"
	"github.com/openreg/registration/internal/store"
)

// Resources are the names and addresses of what Setup created.
type Resources struct {
	Table    string
	QueueURL string
	QueueARN string
	DLQURL   string
	// DeviceKeys is the ARN of the device keys' secret (SetupDeviceKeys).
	DeviceKeys string
}

// Refs maps the template's resource types to these local resources, to
// resolve the functions' environments (Template.Resolve).
func (r Resources) Refs() map[string]string {
	return map[string]string{"AWS::DynamoDB::Table": r.Table, "AWS::SES::ConfigurationSet": "", "AWS::SQS::Queue": r.QueueURL,
		"AWS::SecretsManager::Secret": r.DeviceKeys}
}

// SetupDeviceKeys creates, if missing, the device keys' secret in Secrets
// Manager (moto locally) with a random key, as the stack generates it in
// AWS, and returns its ARN.
func SetupDeviceKeys(ctx context.Context, sm *secretsmanager.Client, name string) (string, error) {
	if out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)}); err == nil {
		return aws.ToString(out.ARN), nil
	}
	key := make([]byte, 48)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	doc, err := json.Marshal(map[string]string{"current": "k1", "k1": base64.RawURLEncoding.EncodeToString(key)})
	if err != nil {
		return "", err
	}
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(string(doc))})
	if err != nil {
		return "", fmt.Errorf("device keys secret: %w", err)
	}
	return aws.ToString(out.ARN), nil
}

// Setup creates, if missing, the table, the mail queue with its dead-letter
// queue, and the SES sending identity, as the CDK stack does in AWS.
func Setup(ctx context.Context, db *dynamodb.Client, q *sqs.Client, ses *sesv2.Client, table, queue, sender string, visibilitySeconds int) (Resources, error) {
	r := Resources{Table: table}
	if err := store.CreateTable(ctx, db, table); err != nil {
		return r, err
	}
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue + "-dlq")})
	if err != nil {
		return r, fmt.Errorf("create dead-letter queue: %w", err)
	}
	r.DLQURL = aws.ToString(dlq.QueueUrl)
	dlqARN, err := queueARN(ctx, q, r.DLQURL)
	if err != nil {
		return r, err
	}
	main, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(queue),
		Attributes: map[string]string{
			"VisibilityTimeout": fmt.Sprint(visibilitySeconds),
			"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, dlqARN, sizing.MailMaxReceives),
		},
	})
	if err != nil {
		return r, fmt.Errorf("create mail queue: %w", err)
	}
	r.QueueURL = aws.ToString(main.QueueUrl)
	if r.QueueARN, err = queueARN(ctx, q, r.QueueURL); err != nil {
		return r, err
	}
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(sender)}); err != nil {
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "AlreadyExistsException" {
			return r, fmt.Errorf("create SES identity %s: %w", sender, err)
		}
	}
	return r, nil
}

func queueARN(ctx context.Context, q *sqs.Client, url string) (string, error) {
	out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("queue attributes of %s: %w", url, err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// Clients are the SDK clients of the local stack and the tests: the
// functions' own (DynamoDB, SES) and those that stand in for AWS's
// plumbing (the stream and the queue, read by the Pipe and the poller).
type Clients struct {
	DynamoDB *dynamodb.Client
	Streams  *dynamodbstreams.Client
	SQS      *sqs.Client
	SES      *sesv2.Client
	Events   *eventbridge.Client
	// SSM and Secrets hold the secrets settings name (a CAPTCHA's, the
	// device keys).
	SSM     *ssm.Client
	Secrets *secretsmanager.Client
}

// SecretSources read the secrets settings name (a CAPTCHA's, the device
// keys) from the emulators.
func (c Clients) SecretSources() captcha.Sources {
	return captcha.Sources{
		Parameters: func() captcha.ParameterReader { return c.SSM },
		Secrets:    func() captcha.SecretReader { return c.Secrets },
	}
}

// NewClients builds every client from one configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), Streams: dynamodbstreams.NewFromConfig(cfg),
		SQS: sqs.NewFromConfig(cfg), SES: sesv2.NewFromConfig(cfg), Events: eventbridge.NewFromConfig(cfg),
		SSM: ssm.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg)}
}
