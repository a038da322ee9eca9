// Package stack is the CDK definition of the whole system in one stack: the
// HTTP API and its functions, the table and its stream, the Pipe that carries
// the outbox to the mail queue, the mail queue with its dead-letter queue, the
// mailer, SES, alarms, and least-privilege IAM.
// infra/main.go builds it from the operator's settings; the tests synthesize
// it offline and check it with the CDK assertions library, cdk-nag and
// cfn-lint.
package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awspipes"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/sizing"
	"github.com/openreg/registration/internal/store"
	"github.com/openreg/registration/internal/store/keys"
)

// Props configure the stack.
type Props struct {
	awscdk.StackProps
	// Settings is the validated settings document; SettingsJSON is the same
	// document as the operator wrote it, handed to every function unchanged.
	Settings     settings.Settings
	SettingsJSON string
	// CodeDir holds <function>/bootstrap as `make build` writes them.
	CodeDir string
	// SESIdentity is the verified sender: a domain ("shop.example") or an
	// address; empty means the settings' mailFrom address.
	SESIdentity string
	// OperatorEmail, when set, receives the alarms through an SNS topic.
	OperatorEmail string
	// ThrottleRate and ThrottleBurst limit the API stage (requests per
	// second); zero means 50 and 100.
	ThrottleRate, ThrottleBurst float64
	// RouteThrottleRate and RouteThrottleBurst limit each of the
	// unauthenticated write routes (ThrottledRoutes) instead; zero means 10
	// and 20.
	RouteThrottleRate, RouteThrottleBurst float64
	// ReservedConcurrency is reserved for, and caps, each of the functions
	// in ReservedConcurrencyFunctions; nil means
	// DefaultReservedConcurrency, 0 reserves none.
	ReservedConcurrency *int
	// LogRetention of every log group; zero means one month.
	LogRetention awslogs.RetentionDays
	// Domain is the API's custom domain, if any.
	Domain Domain
}

// ThrottledRoutes are the routes anyone can call, without an account, to
// make the stack hash a password or write: each gets its own stage throttle
// (Props.RouteThrottleRate) so that a flood on one of them neither exhausts
// the stage's budget for the others nor turns into a flood of table writes.
// The throttle counts all clients together; limiting one client is the
// functions' job (settings.ClientLimits). Every key must be in
// httpapi.Routes.
var ThrottledRoutes = []string{
	"POST /v1/customers",
	"POST /v1/verify-email/resend",
	"POST /v1/sessions",
	"POST /v1/verify-email",
	"POST /v1/password-resets",
	"POST /v1/password-reset",
	"POST /v1/email-change",
	"POST /v1/guests",
	"PUT /v1/cart/items/{sku}",
}

// ReservedConcurrencyFunctions get Props.ReservedConcurrency. Reserving
// also caps: it bounds how many concurrent argon2id hashers and DynamoDB
// writers a flood of anonymous requests can create (and keeps the rest of
// the account's concurrency free of them). The mailer is capped by its
// queue's maximum concurrency instead.
var ReservedConcurrencyFunctions = []string{functions.Register, functions.SignIn, functions.VerifyEmail, functions.Account}

// DefaultReservedConcurrency is the reserved concurrency when Props leave it
// unset. Lambda keeps 100 of the account's concurrency unreserved, so the
// four functions together need an account limit of at least 300.
const DefaultReservedConcurrency = 50

// tableGrant is one function's access to the table.
type tableGrant struct {
	// Actions are the item-level actions it calls on the table. A
	// transaction needs the item actions of its parts (ConditionCheckItem
	// for its checks).
	Actions []string
	// Prefixes are the partition-key prefixes of the items it may touch
	// (package keys' constants, each ending in '#'); each is granted as
	// PREFIX#*.
	Prefixes []string
	// Only are actions it may take on some prefixes only, each a statement
	// of its own (a Query of an address's subscriptions, and no other
	// partition; a PutItem of them, and nothing else).
	Only []scoped
}

// scoped is one action on some partition-key prefixes.
type scoped struct {
	Action   string
	Prefixes []string
}

// itemActions is what the functions that write in transactions call.
var itemActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
	"dynamodb:ConditionCheckItem"}

// tableAccess is every function's access to the table, and the only place
// the stack's DynamoDB grants are built from. Each statement is conditioned
// on dynamodb:LeadingKeys, so a function reaches only the items whose
// partition key starts with a prefix it owns. The prefixes are package
// internal/store/keys' constants, the store's key layout (its test holds the
// README's data model to them): a prefix the store renames is renamed here
// too. A prefix the store adds must be granted here to the functions that
// use it, or they are denied in AWS (the local stack does not check IAM;
// TestEveryPartitionIsGranted fails on a prefix no function is granted).
var tableAccess = map[string]tableGrant{
	// Register, confirm, sign in and the mailer's completion of a
	// registration hand a guest's cart over: they read and retire the
	// GUEST# item in the write that gives its lines to the customer.
	functions.Register: {
		Actions:  itemActions,
		Prefixes: []string{keys.Customer, keys.Email, keys.Username, keys.Registration, keys.Outbox, keys.Rate, keys.Guest},
		// A Standard registration reads the address's subscriptions and
		// puts its own.
		Only: []scoped{{"dynamodb:Query", []string{keys.Newsletter}}, {"dynamodb:PutItem", []string{keys.Newsletter}},
			// GET /v1/registrations/{id} reads the ledger and the
			// suppression list.
			{"dynamodb:GetItem", []string{keys.Mailed, keys.Suppress}}},
	},
	functions.VerifyEmail: {
		Actions:  itemActions,
		Prefixes: []string{keys.Customer, keys.Email, keys.Username, keys.Outbox, keys.Rate, keys.Guest},
		// The confirmation sets the address's waiting subscriptions
		// active, reading nothing.
		Only: []scoped{{"dynamodb:UpdateItem", []string{keys.Newsletter}}},
	},
	// Sessions live in their customer's partition: "who am I" reads the
	// session and the customer in one BatchGetItem. A passkey sign-in
	// stores its challenge (PASSKEYCHALLENGE#), reads it with the passkey
	// and the customer in one BatchGetItem, and spends it in the sign-in's
	// write.
	functions.SignIn: {
		Actions: append(slices.Clone(itemActions), "dynamodb:BatchGetItem"),
		Prefixes: []string{keys.Email, keys.Username, keys.Customer, keys.Throttle, keys.Login, keys.Outbox, keys.Rate, keys.Guest,
			keys.PasskeyChallenge},
	},
	// My account: the account and its keys (an address change moves the
	// email key, and lifts the new address's suppression), the sign-in throttle (a password check counts like a
	// sign-in), reset requests' jobs and limits; Query reads the
	// customer's partition for the export and the passkeys; a passkey's
	// registration stores and spends its challenge (PASSKEYCHALLENGE#).
	functions.Account: {
		Actions: append(slices.Clone(itemActions), "dynamodb:BatchGetItem", "dynamodb:Query"),
		Prefixes: []string{keys.Customer, keys.Email, keys.Username, keys.Throttle, keys.Outbox, keys.Rate, keys.Newsletter,
			keys.PasskeyChallenge},
		Only: []scoped{{"dynamodb:DeleteItem", []string{keys.Suppress}}},
	},
	// The back office: the customers and their keys (creating one claims
	// them), their logs (Query of a customer's partition), the jobs it
	// queues; its status list reads the byStatus index (grantTable).
	// An import claims each customer's external id (IMPORTED#) and joins
	// the address's newsletter subscriptions.
	functions.Admin: {
		Actions:  append(slices.Clone(itemActions), "dynamodb:Query"),
		Prefixes: []string{keys.Customer, keys.Email, keys.Username, keys.Outbox, keys.Imported, keys.Newsletter},
	},
	// Guests and carts: the guest items, the customers' carts (beside the
	// customer, read with the session), the guests' per-client limit.
	functions.Cart: {
		Actions:  append(slices.Clone(itemActions), "dynamodb:BatchGetItem"),
		Prefixes: []string{keys.Guest, keys.Customer, keys.Rate},
	},
	// The mailer's ledger, suppression list and jobs; Query finds what an
	// erased customer left in its partition; the codes mailed to an
	// address a day are counted (RATE#, package code).
	functions.Mailer: {
		Actions: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
			"dynamodb:ConditionCheckItem", "dynamodb:Query"},
		Prefixes: []string{keys.Customer, keys.Email, keys.Username, keys.Registration, keys.Outbox, keys.Mailed, keys.Suppress,
			keys.Resend, keys.Notice, keys.Reset, keys.SignInCode, keys.Newsletter, keys.Guest, keys.Rate},
	},
	// Bounces and complaints: the suppression list, and the account with
	// the address (found by its email key, read only), marked in one
	// write with its activity entry and event.
	functions.SESEvents: {
		Actions:  []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"},
		Prefixes: []string{keys.Suppress, keys.Customer, keys.Outbox},
		Only:     []scoped{{"dynamodb:GetItem", []string{keys.Email}}},
	},
}

// Mail queue tuning: SQS wants the visibility timeout at six times the
// consumer's timeout; a mail is tried sizing.MailMaxReceives times before it is
// parked in the dead-letter queue.
const mailerConcurrency = 5

// New defines the stack.
func New(scope constructs.Construct, id string, p Props) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &p.StackProps)
	if p.ThrottleRate == 0 {
		p.ThrottleRate = 50
	}
	if p.ThrottleBurst == 0 {
		p.ThrottleBurst = 100
	}
	if p.RouteThrottleRate == 0 {
		p.RouteThrottleRate = 10
	}
	if p.RouteThrottleBurst == 0 {
		p.RouteThrottleBurst = 20
	}
	if p.ReservedConcurrency == nil {
		n := DefaultReservedConcurrency
		p.ReservedConcurrency = &n
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.SESIdentity == "" {
		p.SESIdentity = p.Settings.MailFrom
	}
	b := &builder{stack: stack, p: p}

	table := b.table()
	dlq, queue := b.queues()
	configSet := awsses.NewConfigurationSet(stack, jsii.String("MailConfigurationSet"), &awsses.ConfigurationSetProps{
		ReputationMetrics:  jsii.Bool(true),
		SuppressionReasons: awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
	})
	identity := b.sesIdentity(configSet)

	common := map[string]*string{
		config.EnvTable:        table.TableName(),
		config.EnvSettingsFile: jsii.String(config.SettingsFileName),
		config.EnvLogLevel:     jsii.String("INFO"),
	}
	fns := map[string]awslambda.Function{}
	// Memory sizes and timeouts are internal/sizing's (chosen from the
	// measured duration × price curve).
	fns[functions.Register] = b.function(functions.Register, common, "Registers customers (POST /v1/customers, GET /v1/registration-form)")
	fns[functions.SignIn] = b.function(functions.SignIn, common, "Signs customers in and out (/v1/sessions, /v1/customers/me)")
	fns[functions.VerifyEmail] = b.function(functions.VerifyEmail, common, "Confirms email addresses (/v1/verify-email)")
	fns[functions.Account] = b.function(functions.Account, common, "My account: profile, password, address, export, erasure, password reset")
	fns[functions.Cart] = b.function(functions.Cart, common, "Guests and carts (/v1/guests, /v1/cart)")
	fns[functions.Admin] = b.function(functions.Admin, common, "The back office (/v1/admin/*, IAM-authorised)")
	fns[functions.Mailer] = b.function(functions.Mailer, map[string]*string{
		config.EnvTable:            table.TableName(),
		config.EnvSettingsFile:     jsii.String(config.SettingsFileName),
		config.EnvConfigurationSet: configSet.ConfigurationSetName(),
		config.EnvLogLevel:         jsii.String("INFO"),
		// A job that must wait (VIES down) is held back on this queue;
		// the event source's grant includes sqs:ChangeMessageVisibility.
		config.EnvMailQueueURL: queue.QueueUrl(),
	}, "Sends queued mails through SES, each once, and carries out resend jobs")
	fns[functions.SESEvents] = b.function(functions.SESEvents, map[string]*string{
		config.EnvTable:        table.TableName(),
		config.EnvSettingsFile: jsii.String(config.SettingsFileName),
		config.EnvLogLevel:     jsii.String("INFO"),
	}, "Records SES bounces and complaints so those addresses are not mailed again")

	// Least privilege: each function gets the item-level actions it calls,
	// on the items it owns (tableAccess).
	b.grantTable(fns, table)
	b.grantCaptchaSecret(fns)
	b.grantServerKeys(fns)
	b.deviceKeys(fns)
	b.codeKeys(fns)
	pipeDLQ := b.outboxPipe(table, queue)
	bus, eventsDLQ := b.eventsPipe(table)
	// The mailer sends with SES v2's SendEmail (which needs no
	// ses:SendRawEmail), through its configuration set, and only as the
	// store's sender: a bug or a forged queue message cannot mail as
	// anyone else from a verified domain.
	fns[functions.Mailer].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ses:SendEmail"),
		Resources: &[]*string{
			identity.EmailIdentityArn(),
			stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ses"), Resource: jsii.String("configuration-set"), ResourceName: configSet.ConfigurationSetName()}),
		},
		Conditions: &map[string]any{"StringEquals": map[string]any{"ses:FromAddress": p.Settings.MailFrom}},
	}))

	fns[functions.Mailer].AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(10),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(1)),
		ReportBatchItemFailures: jsii.Bool(true),
		// Protects SES's sending rate from a burst of mail.
		MaxConcurrency: jsii.Number(mailerConcurrency),
	}))

	// SES reports bounces and complaints to the default event bus; the
	// ses-events function suppresses those addresses.
	defaultBus := awsevents.EventBus_FromEventBusName(stack, jsii.String("DefaultBus"), jsii.String("default"))
	configSet.AddEventDestination(jsii.String("Feedback"), &awsses.ConfigurationSetEventDestinationOptions{
		Destination: awsses.EventDestination_EventBus(defaultBus),
		Events:      &[]awsses.EmailSendingEvent{awsses.EmailSendingEvent_BOUNCE, awsses.EmailSendingEvent_COMPLAINT},
	})
	awsevents.NewRule(stack, jsii.String("MailFeedbackRule"), &awsevents.RuleProps{
		Description: jsii.String("SES bounces and complaints"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.ses"),
			DetailType: jsii.Strings("Email Bounced", "Email Complaint Received"),
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fns[functions.SESEvents], nil)},
	})

	api, stage := b.api(fns)
	b.alarms(fns, dlq, pipeDLQ, eventsDLQ, api)
	apiURL := stage.Url()
	switch {
	case p.Domain.Name != "":
		apiURL = jsii.String("https://" + p.Domain.Name)
	case !NamesPublicAPI([]byte(p.SettingsJSON)):
		// Mailed links start with the API's own endpoint, known in this
		// deploy: no second deploy to copy it into the settings. (The
		// functions depend on the API here, not on its stage or routes,
		// which depend on them: no cycle.)
		for _, name := range functions.All {
			fns[name].AddEnvironment(jsii.String(config.EnvAPIURL), api.ApiEndpoint(), nil)
		}
	}

	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: apiURL, Description: jsii.String("Base URL of the HTTP API")})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: table.TableName()})
	awscdk.NewCfnOutput(stack, jsii.String("MailQueueName"), &awscdk.CfnOutputProps{Value: queue.QueueName()})
	awscdk.NewCfnOutput(stack, jsii.String("MailDeadLetterQueueName"), &awscdk.CfnOutputProps{Value: dlq.QueueName()})
	awscdk.NewCfnOutput(stack, jsii.String("EventBusName"), &awscdk.CfnOutputProps{Value: bus.EventBusName(),
		Description: jsii.String("The customer events' bus (source " + event.Source + "); add rules for the rest of the shop")})
	return stack
}

type builder struct {
	stack awscdk.Stack
	p     Props
}

func (b *builder) table() awsdynamodb.Table {
	t := awsdynamodb.NewTable(b.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(store.AttrPK), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(store.AttrSK), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String(store.AttrTTL),
		// Encrypted at rest with an AWS-owned key: no KMS cost per request.
		Encryption:         awsdynamodb.TableEncryption_DEFAULT,
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		// The outbox's new items reach the mail queue through the stream.
		Stream: awsdynamodb.StreamViewType_NEW_IMAGE,
	})
	// The back office's lists (internal/store/statusindex.go), newest
	// first: customers by store and status, sharded; and the sparse index of
	// the customers whose mail stopped (only they carry its key, so it costs
	// nothing per registration; an existing table gains it in one update).
	for _, ix := range []struct {
		name, key string
		attrs     []string
	}{
		{store.IndexByStatus, store.AttrStatusKey, store.StatusIndexAttributes},
		{store.IndexUndeliverable, store.AttrUndeliverableKey, store.UndeliverableIndexAttributes},
	} {
		t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:        jsii.String(ix.name),
			PartitionKey:     &awsdynamodb.Attribute{Name: jsii.String(ix.key), Type: awsdynamodb.AttributeType_STRING},
			SortKey:          &awsdynamodb.Attribute{Name: jsii.String(store.AttrStatusSort), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType:   awsdynamodb.ProjectionType_INCLUDE,
			NonKeyAttributes: jsii.Strings(ix.attrs...),
		})
	}
	return t
}

// OutboxFilter is the Pipe's filter: inserted items that carry a message
// (updates, TTL deletions and every other item stay out; see
// internal/store/outbox.go).
var OutboxFilter = fmt.Sprintf(`{"eventName":["INSERT"],"dynamodb":{"NewImage":{%q:{"S":[{"exists":true}]}}}}`, store.AttrOutboxMessage)

// OutboxTemplate makes the queue message's body the item's encoded message.
var OutboxTemplate = fmt.Sprintf("<$.dynamodb.NewImage.%s.S>", store.AttrOutboxMessage)

// streamPipe is one EventBridge Pipe from the table's stream: the items its
// filter keeps go to target (which role may reach with targetActions), from
// the oldest record still in the stream (a Pipe created or re-created after
// writes delivers them too; the consumers de-duplicate), retried for up to a
// day (the stream's retention) and then parked with their positions in the
// Pipe's own dead-letter queue, which it returns.
func (b *builder) streamPipe(id, what string, t awsdynamodb.Table, target *string, targetActions []string, filter string,
	params *awspipes.CfnPipe_PipeTargetParametersProperty) awssqs.Queue {
	dlq := awssqs.NewQueue(b.stack, jsii.String(id+"DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the dead-letter queue of the " + id + "; it has none of its own."),
	}}, jsii.Bool(false))
	role := awsiam.NewRole(b.stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("pipes.amazonaws.com"), nil),
		Description: jsii.String("Carries " + what),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
		Resources: &[]*string{t.TableStreamArn()},
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings(targetActions...), Resources: &[]*string{target},
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("sqs:SendMessage"), Resources: &[]*string{dlq.QueueArn()},
	}))
	pipe := awspipes.NewCfnPipe(b.stack, jsii.String(id), &awspipes.CfnPipeProps{
		Description: jsii.String("Outbox: " + what),
		RoleArn:     role.RoleArn(),
		Source:      t.TableStreamArn(),
		Target:      target,
		SourceParameters: &awspipes.CfnPipe_PipeSourceParametersProperty{
			DynamoDbStreamParameters: &awspipes.CfnPipe_PipeSourceDynamoDBStreamParametersProperty{
				StartingPosition:               jsii.String("TRIM_HORIZON"),
				BatchSize:                      jsii.Number(10),
				MaximumBatchingWindowInSeconds: jsii.Number(0),
				MaximumRetryAttempts:           jsii.Number(185),
				MaximumRecordAgeInSeconds:      jsii.Number(86400),
				OnPartialBatchItemFailure:      jsii.String("AUTOMATIC_BISECT"),
				DeadLetterConfig:               &awspipes.CfnPipe_DeadLetterConfigProperty{Arn: dlq.QueueArn()},
			},
			FilterCriteria: &awspipes.CfnPipe_FilterCriteriaProperty{
				Filters: &[]any{&awspipes.CfnPipe_FilterProperty{Pattern: jsii.String(filter)}},
			},
		},
		TargetParameters: params,
	})
	pipe.Node().AddDependency(role)
	return dlq
}

// outboxPipe carries new mail items to the mail queue (the mailer's ledger
// absorbs repeats); the items stay in the table for the outbox's retention,
// so an operator can redrive what its dead-letter queue names.
func (b *builder) outboxPipe(t awsdynamodb.Table, queue awssqs.Queue) awssqs.Queue {
	return b.streamPipe("OutboxPipe", "new mail items from the table's stream to the mail queue", t, queue.QueueArn(),
		[]string{"sqs:SendMessage"}, OutboxFilter, &awspipes.CfnPipe_PipeTargetParametersProperty{InputTemplate: jsii.String(OutboxTemplate)})
}

// EventsFilter is the events Pipe's filter: inserted items that carry an
// event (see internal/store/outbox.go).
var EventsFilter = fmt.Sprintf(`{"eventName":["INSERT"],"dynamodb":{"NewImage":{%q:{"S":[{"exists":true}]},%q:{"S":[{"exists":true}]}}}}`,
	store.AttrOutboxEvent, store.AttrEventType)

// EventsTemplate makes the event's detail the item's encoded detail; the
// detail-type is the item's event type (EventsDetailType).
var (
	EventsTemplate   = fmt.Sprintf("<$.dynamodb.NewImage.%s.S>", store.AttrOutboxEvent)
	EventsDetailType = fmt.Sprintf("$.dynamodb.NewImage.%s.S", store.AttrEventType)
)

// eventsPipe defines the customer event bus (named in the settings) and the
// Pipe that carries new event items to it: the same outbox discipline as
// mail.
func (b *builder) eventsPipe(t awsdynamodb.Table) (awsevents.EventBus, awssqs.Queue) {
	bus := awsevents.NewEventBus(b.stack, jsii.String("CustomerEvents"), &awsevents.EventBusProps{
		EventBusName: jsii.String(b.p.Settings.EventBusName),
		Description:  jsii.String("Customer events (" + event.Source + "): registered, verified, signed in, …"),
	})
	dlq := b.streamPipe("EventsPipe", "new event items from the table's stream to the customer event bus", t, bus.EventBusArn(),
		[]string{"events:PutEvents"}, EventsFilter, &awspipes.CfnPipe_PipeTargetParametersProperty{
			InputTemplate: jsii.String(EventsTemplate),
			EventBridgeEventBusParameters: &awspipes.CfnPipe_PipeTargetEventBridgeEventBusParametersProperty{
				DetailType: jsii.String(EventsDetailType), Source: jsii.String(event.Source),
			},
		})
	return bus, dlq
}

func (b *builder) queues() (dlq, queue awssqs.Queue) {
	dlq = awssqs.NewQueue(b.stack, jsii.String("MailDeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the dead-letter queue of the mail queue; it has none of its own."),
	}}, jsii.Bool(false))
	queue = awssqs.NewQueue(b.stack, jsii.String("MailQueue"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(float64(6 * sizing.TimeoutSeconds[functions.Mailer]))),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(sizing.MailMaxReceives)},
	})
	return dlq, queue
}

func (b *builder) sesIdentity(cs awsses.ConfigurationSet) awsses.EmailIdentity {
	id := awsses.Identity_Domain(jsii.String(b.p.SESIdentity))
	if strings.Contains(b.p.SESIdentity, "@") {
		id = awsses.Identity_Email(jsii.String(b.p.SESIdentity))
	}
	return awsses.NewEmailIdentity(b.stack, jsii.String("MailIdentity"), &awsses.EmailIdentityProps{
		Identity:         id,
		ConfigurationSet: cs,
	})
}

// function defines one Lambda function with its own role and log group. The
// role starts empty: no managed policy, only what the stack grants.
func (b *builder) function(name string, env map[string]*string, description string) awslambda.Function {
	memoryMB, timeoutSeconds := sizing.MemoryMB[name], sizing.TimeoutSeconds[name]
	if memoryMB == 0 || timeoutSeconds == 0 {
		awscdk.Annotations_Of(b.stack).AddError(jsii.String("internal/sizing has no memory size or timeout for " + name))
	}
	id := resourceID(name)
	logs := awslogs.NewLogGroup(b.stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     b.p.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(b.stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Runs the " + name + " function"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logs.LogGroupArn()),
	}))
	var reserved *float64
	if n := *b.p.ReservedConcurrency; n > 0 && slices.Contains(ReservedConcurrencyFunctions, name) {
		reserved = jsii.Number(float64(n))
	}
	// The validated settings travel in the function's code, beside its
	// bootstrap (REGISTRATION_SETTINGS_FILE, read from LAMBDA_TASK_ROOT):
	// an environment variable would cap them at Lambda's 4 KB for all
	// variables together. A change of settings is a change of the asset.
	code := filepath.Join(b.p.CodeDir, name)
	if err := os.WriteFile(filepath.Join(code, config.SettingsFileName), []byte(b.p.SettingsJSON), 0o644); err != nil {
		awscdk.Annotations_Of(b.stack).AddError(jsii.String("write the settings into " + code + ": " + err.Error()))
	}
	fn := awslambda.NewFunction(b.stack, jsii.String(id), &awslambda.FunctionProps{
		Description:   jsii.String(description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(code), nil),
		MemorySize:    jsii.Number(float64(memoryMB)),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(float64(timeoutSeconds))),
		Role:          role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment:   &env,

		ReservedConcurrentExecutions: reserved,
	})
	// The local Lambda runtime (devstack.LoadTemplate) finds each
	// function's bootstrap by this tag.
	awscdk.Tags_Of(fn).Add(jsii.String(devstack.FunctionTag), jsii.String(name), nil)
	return fn
}

// grantTable grants each function its tableAccess: the item actions on the
// table itself for the keys it owns. ForAllValues holds for every
// key a request touches (all items of a BatchWriteItem; each part of a
// transaction is authorised as its own item action).
func (b *builder) grantTable(fns map[string]awslambda.Function, t awsdynamodb.Table) {
	for _, name := range functions.All {
		g, ok := tableAccess[name]
		if !ok {
			continue // a function that does not use the table
		}
		grant := func(actions, prefixes []string) {
			leading := make([]string, len(prefixes))
			for i, p := range prefixes {
				leading[i] = p + "*"
			}
			fns[name].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:    jsii.Strings(actions...),
				Resources:  &[]*string{t.TableArn()},
				Conditions: &map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": leading}},
			}))
		}
		grant(g.Actions, g.Prefixes)
		for _, extra := range g.Only {
			grant([]string{extra.Action}, extra.Prefixes)
		}
	}
	// The back office lists customers from the byStatus index and the
	// sparse byUndeliverable index: a Query of those indexes only (their
	// keys are "<store>#<status>#<shard>" and "<store>", which a
	// LeadingKeys prefix cannot scope further).
	fns[functions.Admin].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("dynamodb:Query"),
		Resources: &[]*string{
			awscdk.Fn_Join(jsii.String(""), &[]*string{t.TableArn(), jsii.String("/index/" + store.IndexByStatus)}),
			awscdk.Fn_Join(jsii.String(""), &[]*string{t.TableArn(), jsii.String("/index/" + store.IndexUndeliverable)}),
		},
	}))
}

// captchaFunctions are the functions serving each place a CAPTCHA can
// apply to.
var captchaFunctions = []struct {
	on func(settings.CaptchaOn) bool
	fn string
}{
	{func(o settings.CaptchaOn) bool { return o.Registration }, functions.Register},
	{func(o settings.CaptchaOn) bool { return o.SignIn }, functions.SignIn},
	{func(o settings.CaptchaOn) bool { return o.Resend }, functions.VerifyEmail},
	{func(o settings.CaptchaOn) bool { return o.PasswordReset }, functions.Account},
}

// grantCaptchaSecret lets the functions that verify CAPTCHAs read the one
// secret the settings name, and no other function read it. An AWS managed
// key (aws/ssm, aws/secretsmanager) needs no grant of its own; a
// customer-managed key's policy must allow these roles kms:Decrypt.
func (b *builder) grantCaptchaSecret(fns map[string]awslambda.Function) {
	c := b.p.Settings.Captcha
	if c == nil {
		return
	}
	st := b.readSecret(c.Secret)
	if st == nil {
		return // refused at synth (ValidateSettings)
	}
	for _, cf := range captchaFunctions {
		if cf.on(c.On) {
			fns[cf.fn].AddToRolePolicy(st)
		}
	}
}

// grantServerKeys lets the storefront's functions read each server
// storefront key (settings serverKeys) and no other function read them: a
// server may call any storefront route, the back office none.
func (b *builder) grantServerKeys(fns map[string]awslambda.Function) {
	for _, k := range b.p.Settings.ServerKeys {
		st := b.readSecret(k.Secret)
		if st == nil {
			continue // refused at synth (ValidateSettings)
		}
		for _, fn := range []string{functions.Register, functions.SignIn, functions.VerifyEmail, functions.Account, functions.Cart} {
			fns[fn].AddToRolePolicy(st)
		}
	}
}

// readSecret is the statement that lets a function read the one secret a
// settings reference names (nil for a reference a deployed stack refuses).
func (b *builder) readSecret(ref string) awsiam.PolicyStatement {
	scheme, name := settings.ParseSecretRef(ref)
	switch scheme {
	case settings.SecretSSM:
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ssm:GetParameter"),
			Resources: &[]*string{b.stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ssm"),
				Resource: jsii.String("parameter"), ResourceName: jsii.String(strings.TrimPrefix(name, "/")),
				ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})},
		})
	case settings.SecretSecretsManager:
		arn := name
		if !strings.HasPrefix(name, "arn:") {
			// A secret's ARN ends in six random characters.
			arn = *b.stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("secretsmanager"),
				Resource: jsii.String("secret"), ResourceName: jsii.String(name + "-??????"),
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
		}
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: &[]*string{jsii.String(arn)},
		})
	}
	return nil
}

// deviceKeys gives the sign-in function the device keys (OWASP's device
// cookie): the secret the settings name, or, when they name none, a key
// ring the stack generates (keyRing), named to the function by
// DEVICE_KEYS_SECRET. Only sign-in reads it.
func (b *builder) deviceKeys(fns map[string]awslambda.Function) {
	fn := fns[functions.SignIn]
	if ref := b.p.Settings.DeviceTrust.Secret; ref != "" {
		if st := b.readSecret(ref); st != nil {
			fn.AddToRolePolicy(st)
		}
		return
	}
	b.keyRing(keyRing{
		ID:          "DeviceKeys",
		Description: "Signing keys of the device tokens that let owners past the per-login sign-in gate",
		Env:         config.EnvDeviceKeys,
		Signed:      "tokens", Lost: "every device's trust",
	}, fn)
}

// codeKeys gives the functions that mint or check one-time codes (email
// verification, password reset, passwordless sign-in) the keys of the
// codes' keyed hashes, a key ring the stack generates (keyRing), named to
// them by CODE_KEYS_SECRET: a reader of the table cannot try the million
// codes offline without a key. The mailer mints the codes, verify-email,
// account (reset) and sign-in check them; no other function reads it.
func (b *builder) codeKeys(fns map[string]awslambda.Function) {
	b.keyRing(keyRing{
		ID:          "CodeKeys",
		Description: "Keys of the one-time codes' keyed hashes (email verification, password reset, sign-in codes)",
		Env:         config.EnvCodeKeys,
		Signed:      "codes", Lost: "every code in flight",
	}, fns[functions.Mailer], fns[functions.VerifyEmail], fns[functions.Account], fns[functions.SignIn])
}

// keyRing is one key ring the stack generates.
type keyRing struct {
	// ID is the secret's construct id (its logical id's prefix, which the
	// local stack goes by).
	ID, Description string
	// Env names the secret to its readers ("secretsmanager:<ARN>").
	Env string
	// Signed is what its keys sign or hash (plural), Lost what a
	// scheduled replacement of the whole secret would void at once.
	Signed, Lost string
}

// keyRing generates a key ring in Secrets Manager ({"current":"k1","k1":
// <64 random characters>}; rotate by adding a key and moving "current" to
// it, keeping the old one for as long as what it signed should count),
// names it to each of readers by k.Env and lets them, and only them, read
// it.
func (b *builder) keyRing(k keyRing, readers ...awslambda.Function) {
	secret := awssecretsmanager.NewSecret(b.stack, jsii.String(k.ID), &awssecretsmanager.SecretProps{
		Description: jsii.String(k.Description),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"current":"k1"}`), GenerateStringKey: jsii.String("k1"),
			PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true),
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(secret, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("A key ring, not a credential: it is rotated by adding a key and moving \"current\" to it, " +
			"keeping the old key while its " + k.Signed + " should count; a scheduled replacement would end " + k.Lost + " at once."),
	}}, jsii.Bool(false))
	ref := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(settings.SecretSecretsManager + ":"), secret.SecretArn()})
	for _, fn := range readers {
		fn.AddEnvironment(jsii.String(k.Env), ref, nil)
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: &[]*string{secret.SecretArn()},
		}))
	}
}

// corsPreflight is the API's CORS policy (declared once, in httpapi, and
// answered the same by the local gateway) as API Gateway's configuration.
func corsPreflight(c httpapi.CORS) *awsapigatewayv2.CorsPreflightOptions {
	methods := make([]awsapigatewayv2.CorsHttpMethod, len(c.AllowMethods))
	for i, m := range c.AllowMethods {
		methods[i] = awsapigatewayv2.CorsHttpMethod(m)
	}
	return &awsapigatewayv2.CorsPreflightOptions{
		AllowOrigins: jsii.Strings(c.AllowOrigins...), AllowCredentials: jsii.Bool(true), AllowMethods: &methods,
		AllowHeaders: jsii.Strings(c.AllowHeaders...), ExposeHeaders: jsii.Strings(c.ExposeHeaders...),
		MaxAge: awscdk.Duration_Seconds(jsii.Number(c.MaxAge.Seconds())),
	}
}

// wildPath is a route path as an execute-api ARN names it: {params} match
// any one segment.
func wildPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "*"
		}
	}
	return strings.Join(segs, "/")
}

func (b *builder) api(fns map[string]awslambda.Function) (awsapigatewayv2.HttpApi, awsapigatewayv2.HttpStage) {
	api := awsapigatewayv2.NewHttpApi(b.stack, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("Customer registration API (v1)"),
		CreateDefaultStage: jsii.Bool(false),
		// With the shop's own domain, the execute-api address goes: every
		// link, cookie and CORS answer is the domain's.
		DisableExecuteApiEndpoint: jsii.Bool(b.p.Domain.Name != ""),
		// Browser storefronts call the API from their own origin, with the
		// session cookie: only the configured origins may.
		CorsPreflight: corsPreflight(httpapi.CORSPolicy(b.p.Settings.URLs)),
	})
	integrations := map[string]awsapigatewayv2.HttpRouteIntegration{}
	routes := map[string]awsapigatewayv2.HttpRoute{}
	// The back office's routes need a SigV4 signature of a principal the
	// BackOfficePolicy grants; the storefront's routes are public.
	iam := awsapigatewayv2authorizers.NewHttpIamAuthorizer()
	var adminArns []*string
	for _, r := range httpapi.Routes {
		in, ok := integrations[r.Function]
		if !ok {
			in = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(resourceID(r.Function)+"Integration"), fns[r.Function], nil)
			integrations[r.Function] = in
		}
		opts := &awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: in,
		}
		if httpapi.IsAdmin(r.Path) {
			opts.Authorizer = iam
			adminArns = append(adminArns, api.ArnForExecuteApi(jsii.String(r.Method), jsii.String(wildPath(r.Path)), jsii.String("$default")))
		}
		added := api.AddRoutes(opts)
		routes[r.Method+" "+r.Path] = (*added)[0]
	}
	policy := awsiam.NewManagedPolicy(b.stack, jsii.String("BackOfficePolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Calls the back office's routes (and nothing else): attach it to the operator's back-office role"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("execute-api:Invoke"), Resources: &adminArns,
		})},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The * stands for the one customer id segment of a back-office route ({id}); the policy names each route and method."),
	}}, jsii.Bool(true))
	awscdk.NewCfnOutput(b.stack, jsii.String("BackOfficePolicyArn"), &awscdk.CfnOutputProps{Value: policy.ManagedPolicyArn(),
		Description: jsii.String("Managed policy that grants exactly the back office's routes (SigV4-signed calls)")})
	cdknag.NagSuppressions_AddResourceSuppressions(api, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-APIG4"),
		Reason: jsii.String("These are the public storefront routes: registering, confirming an address and signing in happen before a customer has any credential. The routes that need identity check the session token themselves; back-office routes will use IAM authorisation."),
	}}, jsii.Bool(true))

	stage := awsapigatewayv2.NewHttpStage(b.stack, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit: jsii.Number(b.p.ThrottleRate), BurstLimit: jsii.Number(b.p.ThrottleBurst),
		},
	})
	accessLogs := awslogs.NewLogGroup(b.stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: b.p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	cfnStage := stage.Node().DefaultChild().(awsapigatewayv2.CfnStage)
	routeSettings := map[string]any{}
	for _, key := range ThrottledRoutes {
		route, ok := routes[key]
		if !ok {
			awscdk.Annotations_Of(stage).AddError(jsii.String("throttled route " + key + " is not in httpapi.Routes"))
			continue
		}
		// RouteSettings is plain JSON to CloudFormation: a
		// CfnStage_RouteSettingsProperty here would be written with
		// jsii's camelCase names, which API Gateway does not read.
		routeSettings[key] = map[string]any{
			"ThrottlingRateLimit": b.p.RouteThrottleRate, "ThrottlingBurstLimit": b.p.RouteThrottleBurst,
		}
		// API Gateway refuses settings for a route that does not exist yet.
		cfnStage.Node().AddDependency(route)
	}
	cfnStage.SetRouteSettings(routeSettings)
	cfnStage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format: jsii.String(`{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",` +
			`"method":"$context.httpMethod","route":"$context.routeKey","status":"$context.status","length":"$context.responseLength",` +
			`"latencyMs":"$context.responseLatency","integrationError":"$context.integrationErrorMessage"}`),
	})
	b.customDomain(api, stage)
	return api, stage
}

// customDomain serves the API on the shop's own domain (Props.Domain):
// the certificate named, or one validated in the hosted zone (which then
// also gets the alias record), the domain and its mapping to the stage.
func (b *builder) customDomain(api awsapigatewayv2.HttpApi, stage awsapigatewayv2.HttpStage) {
	d := b.p.Domain
	if d.Name == "" {
		return
	}
	var cert awscertificatemanager.ICertificate
	var zone awsroute53.IHostedZone
	if d.CertificateArn != "" {
		cert = awscertificatemanager.Certificate_FromCertificateArn(b.stack, jsii.String("ApiCertificate"), jsii.String(d.CertificateArn))
	} else {
		zone = awsroute53.HostedZone_FromHostedZoneId(b.stack, jsii.String("Zone"), jsii.String(d.HostedZoneID))
		cert = awscertificatemanager.NewCertificate(b.stack, jsii.String("ApiCertificate"), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(d.Name), Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
		})
	}
	domain := awsapigatewayv2.NewDomainName(b.stack, jsii.String("ApiDomain"), &awsapigatewayv2.DomainNameProps{
		DomainName: jsii.String(d.Name), Certificate: cert, SecurityPolicy: awsapigatewayv2.SecurityPolicy_TLS_1_2,
	})
	awsapigatewayv2.NewApiMapping(b.stack, jsii.String("ApiMapping"), &awsapigatewayv2.ApiMappingProps{Api: api, DomainName: domain, Stage: stage})
	if zone != nil {
		// A fully qualified name (ending in ".") needs no zone name.
		awsroute53.NewARecord(b.stack, jsii.String("ApiAlias"), &awsroute53.ARecordProps{
			Zone: zone, RecordName: jsii.String(d.Name + "."),
			Target: awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayv2DomainProperties(domain.RegionalDomainName(), domain.RegionalHostedZoneId())),
		})
	}
}

func (b *builder) alarms(fns map[string]awslambda.Function, dlq, pipeDLQ, eventsDLQ awssqs.Queue, api awsapigatewayv2.HttpApi) {
	var action awscloudwatch.IAlarmAction
	if b.p.OperatorEmail != "" {
		topic := awssns.NewTopic(b.stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
			DisplayName: jsii.String("Customer registration alarms"),
			EnforceSSL:  jsii.Bool(true),
		})
		cdknag.NagSuppressions_AddResourceSuppressions(topic, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-SNS2"),
			Reason: jsii.String("Alarm notifications carry no customer data; CloudWatch cannot publish to a topic under the AWS-managed key, and a customer-managed key would cost money at rest."),
		}}, jsii.Bool(false))
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(b.p.OperatorEmail), nil))
		action = awscloudwatchactions.NewSnsAction(topic)
	}
	alarm := func(id string, metric awscloudwatch.IMetric, threshold float64, description string) {
		a := awscloudwatch.NewAlarm(b.stack, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(description),
		})
		if action != nil {
			a.AddAlarmAction(action)
		}
	}
	five := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	alarm("MailDeadLetterAlarm", dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum"),
	}), 0, "Mails failed 5 times and are parked in the dead-letter queue; read the mailer's logs, fix, then redrive.")
	alarm("OutboxPipeDeadLetterAlarm", pipeDLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum"),
	}), 0, "The outbox Pipe could not put mails on the mail queue for a day; its dead-letter queue names the stream records. Redrive them from the outbox items in the table.")
	alarm("EventsPipeDeadLetterAlarm", eventsDLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum"),
	}), 0, "The events Pipe could not put customer events on the bus for a day; its dead-letter queue names the stream records.")
	for _, name := range functions.All {
		fn := fns[name]
		alarm(resourceID(name)+"ErrorsAlarm", fn.MetricErrors(five), 0, fmt.Sprintf("The %s function failed.", name))
		alarm(resourceID(name)+"ThrottlesAlarm", fn.MetricThrottles(five), 0, fmt.Sprintf("The %s function was throttled.", name))
	}
	rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		// Only a rate over a meaningful number of requests alarms.
		Expression: jsii.String("IF(requests >= 20, 100 * errors / requests, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":   api.MetricServerError(five),
			"requests": api.MetricCount(five),
		},
		Period: awscdk.Duration_Minutes(jsii.Number(5)),
		Label:  jsii.String("5xx rate (%)"),
	})
	alarm("Api5xxRateAlarm", rate, 1, "More than 1% of API requests answered 5xx in 5 minutes.")
	// SES reviews an account whose bounce rate reaches 5 % or whose
	// complaint rate reaches 0.1 % (its reputation metrics, fractions, for
	// the whole account); these alarms come well before.
	reputation := func(name string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/SES"), MetricName: jsii.String(name),
			Period: awscdk.Duration_Hours(jsii.Number(1)), Statistic: jsii.String("Maximum")})
	}
	alarm("MailBounceRateAlarm", reputation("Reputation.BounceRate"), 0.02,
		"SES's bounce rate passed 2 % (SES reviews the account at 5 %): registrations with mistyped or made-up addresses? "+
			"Read the back office's undeliverable list; consider settings emailChecks (requireMx, disposable).")
	alarm("MailComplaintRateAlarm", reputation("Reputation.ComplaintRate"), 0.0008,
		"SES's complaint rate passed 0.08 % (SES reviews the account at 0.1 %): recipients mark our mail as spam. "+
			"Are registrations made with other people's addresses? Consider a CAPTCHA on registration.")
	alarm("CodeBurstAlarm", b.codeBursts(fns, five), 0,
		"A store took more 6-digit code submissions than codes.perStore allows and refuses them all for the rest of the hour: "+
			"someone is guessing codes across addresses. Read the verify-email, account and sign-in logs (alert=code_burst).")
}

// codeBursts counts the log lines in which a function that takes codes
// says its store is over codes.perStore (package code's Guard logs
// alert=code_burst), as one metric across them.
func (b *builder) codeBursts(fns map[string]awslambda.Function, opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	const namespace, name = "CustomerRegistration", "CodeBurst"
	for _, fn := range []string{functions.VerifyEmail, functions.Account, functions.SignIn} {
		awslogs.NewMetricFilter(b.stack, jsii.String(resourceID(fn)+"CodeBursts"), &awslogs.MetricFilterProps{
			LogGroup:        fns[fn].LogGroup(),
			FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.alert"), jsii.String("="), jsii.String("code_burst")),
			MetricNamespace: jsii.String(namespace), MetricName: jsii.String(name), MetricValue: jsii.String("1"),
		})
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(namespace), MetricName: jsii.String(name),
		Period: opts.Period, Statistic: opts.Statistic})
}

// resourceID turns "verify-email" into "VerifyEmail" for construct ids.
func resourceID(name string) string {
	var out strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part != "" {
			out.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return out.String()
}
