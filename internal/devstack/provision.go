package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// ProvisionOptions choose the local resources' names and what the local
// stack changes on purpose.
type ProvisionOptions struct {
	// Prefix starts every resource's name: prefix-LogicalId (without
	// CDK's hash), as CloudFormation names them stack-LogicalId-suffix.
	Prefix string
	// VisibilitySeconds, when not 0, replaces the queues' visibility
	// timeout, so the tests see a failed message again in a second rather
	// than in minutes.
	VisibilitySeconds int
	// MailFunction names the function whose event source mapping reads the
	// mail queue (Resources.QueueURL).
	MailFunction string
}

// cdkHash is the hash CDK appends to logical ids.
var cdkHash = regexp.MustCompile(`[0-9A-F]{8}$`)

func (o ProvisionOptions) name(logicalID string) string {
	return o.Prefix + "-" + cdkHash.ReplaceAllString(logicalID, "")
}

// The construct ids of the key rings the stack generates (infra/stack
// keyRing): their logical ids are these and CDK's hash.
const (
	deviceKeysID = "DeviceKeys"
	codeKeysID   = "CodeKeys"
)

// keyRingOf is the key ring a secret's logical id names (deviceKeysID,
// codeKeysID), or "" for another secret.
func keyRingOf(logicalID string) string {
	switch id := cdkHash.ReplaceAllString(logicalID, ""); id {
	case deviceKeysID, codeKeysID:
		return id
	}
	return ""
}

// Provision creates, if missing, the template's table, queues (with their
// redrive policies), SES identities and configuration sets, event buses and
// secrets in the emulators, as CloudFormation creates them in AWS, and
// returns their local names and ARNs (Locals) for resolving the template.
// Functions, roles and log groups get the names and ARNs they would have;
// the local runtime runs the functions and the Enforcer plays the roles.
func Provision(ctx context.Context, c Clients, t Template, o ProvisionOptions) (Resources, error) {
	l := Locals{}
	res := Resources{Locals: l}
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", LocalPartition, service, LocalRegion, LocalAccount, resource)
	}
	for _, id := range t.OfType("AWS::DynamoDB::Table") {
		name := o.name(id)
		tableARN, streamARN, err := createTable(ctx, c.DynamoDB, name, t.Properties[id])
		if err != nil {
			return res, fmt.Errorf("table %s: %w", id, err)
		}
		l[id] = map[string]string{"Ref": name, "Arn": tableARN, "StreamArn": streamARN}
		res.Table = name
	}
	// Dead-letter queues first: a queue's redrive policy names one.
	queues := t.OfType("AWS::SQS::Queue")
	for pass := 0; pass < 2; pass++ {
		for _, id := range queues {
			q := t.Queues[id]
			if (q.DeadLetter == nil) != (pass == 0) {
				continue
			}
			attrs := map[string]string{"VisibilityTimeout": strconv.Itoa(q.VisibilitySeconds)}
			if o.VisibilitySeconds > 0 {
				attrs["VisibilityTimeout"] = strconv.Itoa(o.VisibilitySeconds)
			}
			if q.RetentionSeconds > 0 {
				attrs["MessageRetentionPeriod"] = strconv.Itoa(q.RetentionSeconds)
			}
			if q.DeadLetter != nil {
				dlq, err := l.String(q.DeadLetter)
				if err != nil {
					return res, fmt.Errorf("queue %s: %w", id, err)
				}
				attrs["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, dlq, q.MaxReceives)
			}
			name := o.name(id)
			out, err := c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
			if err != nil {
				return res, fmt.Errorf("queue %s: %w", id, err)
			}
			url := aws.ToString(out.QueueUrl)
			l[id] = map[string]string{"Ref": url, "QueueUrl": url, "QueueName": name, "Arn": arn("sqs", name)}
		}
	}
	for _, id := range t.OfType("AWS::SES::ConfigurationSet") {
		name := o.name(id)
		if _, err := c.SES.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String(name)}); err != nil && !alreadyExists(err) {
			return res, fmt.Errorf("configuration set %s: %w", id, err)
		}
		l[id] = map[string]string{"Ref": name}
	}
	for _, id := range t.OfType("AWS::SES::EmailIdentity") {
		var p struct{ EmailIdentity string }
		if err := json.Unmarshal(t.Properties[id], &p); err != nil {
			return res, err
		}
		if _, err := c.SES.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(p.EmailIdentity)}); err != nil && !alreadyExists(err) {
			return res, fmt.Errorf("SES identity %s: %w", p.EmailIdentity, err)
		}
		l[id] = map[string]string{"Ref": p.EmailIdentity}
	}
	for _, id := range t.OfType("AWS::Events::EventBus") {
		name := o.name(id)
		if _, err := c.Events.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil && !alreadyExists(err) {
			return res, fmt.Errorf("event bus %s: %w", id, err)
		}
		l[id] = map[string]string{"Ref": name, "Name": name, "Arn": arn("events", "event-bus/"+name)}
		res.Bus = name
	}
	// Every secret the stack generates is a key ring: the device keys'
	// (DeviceKeys…) or the one-time codes' (CodeKeys…).
	for _, id := range t.OfType("AWS::SecretsManager::Secret") {
		secret, err := SetupKeyRing(ctx, c.Secrets, o.name(id))
		if err != nil {
			return res, fmt.Errorf("secret %s: %w", id, err)
		}
		l[id] = map[string]string{"Ref": secret, "Id": secret}
		switch keyRingOf(id) {
		case deviceKeysID:
			res.DeviceKeys = secret
		case codeKeysID:
			res.CodeKeys = secret
		}
	}
	for _, f := range t.Functions {
		name := o.name(f.LogicalID)
		l[f.LogicalID] = map[string]string{"Ref": name, "Arn": arn("lambda", "function:"+name)}
	}
	for _, id := range t.OfType("AWS::IAM::Role") {
		l[id] = map[string]string{"Ref": o.name(id), "Arn": fmt.Sprintf("arn:%s:iam::%s:role/%s", LocalPartition, LocalAccount, o.name(id))}
	}
	for _, id := range t.OfType("AWS::Logs::LogGroup") {
		l[id] = map[string]string{"Ref": o.name(id), "Arn": arn("logs", "log-group:"+o.name(id)+":*")}
	}
	for _, id := range t.OfType("AWS::ApiGatewayV2::Api") {
		// The local settings name the gateway's address (an API_URL
		// resolved to "" leaves them to).
		l[id] = map[string]string{"Ref": "local", "ApiId": "local", "ApiEndpoint": ""}
	}
	if m, ok := t.Mapping(o.MailFunction); ok {
		src, err := l.String(m.Source)
		if err != nil {
			return res, fmt.Errorf("event source of %s: %w", o.MailFunction, err)
		}
		id, ok := l.ByAttr("Arn", src)
		if !ok {
			return res, fmt.Errorf("event source of %s: %s is not a queue of the template", o.MailFunction, src)
		}
		res.QueueURL, res.QueueARN = l[id]["QueueUrl"], src
		if dlq := t.Queues[id].DeadLetter; dlq != nil {
			dlqARN, _ := l.String(dlq)
			if dlqID, ok := l.ByAttr("Arn", dlqARN); ok {
				res.DLQURL = l[dlqID]["QueueUrl"]
			}
		}
	}
	return res, nil
}

// ByAttr finds the resource whose attribute has a value.
func (l Locals) ByAttr(attr, value string) (string, bool) {
	for id, attrs := range l {
		if attrs[attr] == value {
			return id, true
		}
	}
	return "", false
}

func alreadyExists(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "AlreadyExistsException" || api.ErrorCode() == "ResourceAlreadyExistsException")
}

// createTable creates a table as the template defines it (keys, indexes,
// stream, time to live) and returns its ARN and its stream's.
func createTable(ctx context.Context, db *dynamodb.Client, name string, props json.RawMessage) (string, string, error) {
	var p struct {
		AttributeDefinitions   []dbtypes.AttributeDefinition
		KeySchema              []dbtypes.KeySchemaElement
		GlobalSecondaryIndexes []struct {
			IndexName  string
			KeySchema  []dbtypes.KeySchemaElement
			Projection struct {
				ProjectionType   dbtypes.ProjectionType
				NonKeyAttributes []string
			}
		}
		StreamSpecification *struct {
			StreamViewType dbtypes.StreamViewType
		}
		TimeToLiveSpecification *struct {
			AttributeName string
			Enabled       bool
		}
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return "", "", err
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), AttributeDefinitions: p.AttributeDefinitions,
		KeySchema: p.KeySchema, BillingMode: dbtypes.BillingModePayPerRequest}
	for _, ix := range p.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, dbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(ix.IndexName), KeySchema: ix.KeySchema,
			Projection: &dbtypes.Projection{ProjectionType: ix.Projection.ProjectionType, NonKeyAttributes: ix.Projection.NonKeyAttributes},
		})
	}
	if p.StreamSpecification != nil {
		in.StreamSpecification = &dbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: p.StreamSpecification.StreamViewType}
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		var inUse *dbtypes.ResourceInUseException
		if !errors.As(err, &inUse) {
			return "", "", err
		}
	} else if ttl := p.TimeToLiveSpecification; ttl != nil && ttl.Enabled {
		if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
			TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{AttributeName: aws.String(ttl.AttributeName), Enabled: aws.Bool(true)}}); err != nil {
			return "", "", fmt.Errorf("time to live: %w", err)
		}
	}
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return "", "", err
	}
	return aws.ToString(out.Table.TableArn), aws.ToString(out.Table.LatestStreamArn), nil
}
