package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/openreg/registration/internal/captcha"
)

// Resources are what Provision created: the local value of every resource
// of the template, and the ones the stack's plumbing and the tests use.
type Resources struct {
	Locals Locals
	Table  string
	// QueueURL and QueueARN are the mail queue's (the mailer's event
	// source), DLQURL its dead-letter queue's.
	QueueURL string
	QueueARN string
	DLQURL   string
	// Bus is the customer event bus's name.
	Bus string
	// DeviceKeys is the ARN of the device keys' secret, CodeKeys the
	// one-time codes' key ring's.
	DeviceKeys string
	CodeKeys   string
}

// SetupKeyRing creates, if missing, a key ring's secret (the device keys',
// the one-time codes') in Secrets Manager (moto locally) with one random
// key, {"current":"k1","k1":…}, as the stack generates it in AWS, and
// returns its ARN.
func SetupKeyRing(ctx context.Context, sm *secretsmanager.Client, name string) (string, error) {
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
		return "", fmt.Errorf("key ring %s: %w", name, err)
	}
	return aws.ToString(out.ARN), nil
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
	// device keys) and the key rings the stack generates.
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

// ClientsAs builds every client as one principal of the template: signed
// with its access key (Enforcer.Credentials) and sent to the enforcing
// layer at endpoint.
func ClientsAs(keyID, secret, endpoint string) Clients {
	cfg := aws.Config{Region: LocalRegion, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")}
	return NewClients(cfg)
}

// NewClients builds every client from one configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), Streams: dynamodbstreams.NewFromConfig(cfg),
		SQS: sqs.NewFromConfig(cfg), SES: sesv2.NewFromConfig(cfg), Events: eventbridge.NewFromConfig(cfg),
		SSM: ssm.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg)}
}
