package cost

// TargetBeforeMail is what one million registrations may cost, in dollars,
// before the mail is paid for.
const TargetBeforeMail = 25.0

// Chunk sizes in which services meter one request: a larger payload counts
// as several requests (see Chunks).
const (
	// HTTPAPIChunkBytes: API Gateway HTTP APIs meter requests in 512 KB
	// increments (a 513 KB request is two requests).
	HTTPAPIChunkBytes = 512 << 10
	// SQSChunkBytes: each 64 KB chunk of an SQS request's payload is one request.
	SQSChunkBytes = 64 << 10
	// PipesChunkBytes: each 64 KB chunk of an event that EventBridge Pipes
	// processes is one request.
	PipesChunkBytes = 64 << 10
)

// Prices is a price table for one region, in US dollars. Every field names
// its unit; Price and the other functions in this package read nothing else.
type Prices struct {
	Region  string
	Checked string // date the prices were last checked, YYYY-MM-DD

	LambdaArmPerGBSecond     float64 // Lambda arm64 duration, $ per GB-second
	LambdaPerMillionRequests float64 // Lambda invocations, $ per million requests

	HTTPAPIPerMillionRequests float64 // API Gateway HTTP API, $ per million requests of up to 512 KB

	DynamoPerMillionWRU     float64 // DynamoDB on-demand, $ per million write request units
	DynamoPerMillionRRU     float64 // DynamoDB on-demand, $ per million read request units
	StreamsPerMillionReads  float64 // DynamoDB Streams, $ per million streams read request units (GetRecords calls)
	DynamoStoragePerGBMonth float64 // DynamoDB Standard table class storage, $ per GB-month

	PipesPerMillionRequests float64 // EventBridge Pipes, $ per million requests (events after filtering, 64 KB chunks)
	SQSPerMillionRequests   float64 // SQS standard queue, $ per million requests (64 KB chunks)

	SESPerThousandMails float64 // SES outbound, $ per 1,000 mails (recipients)

	CognitoLite       CognitoPlan
	CognitoEssentials CognitoPlan
	CognitoPlus       CognitoPlan
}

// USEast1 holds the published on-demand prices in US East (N. Virginia),
// checked on 2026-12-01 with the search tool against stored copies of the
// pricing pages. Where a stored AWS page renders its tables in the browser
// and so showed no figures, the figure was confirmed against independent
// pages dated 2025-2026 and the field says so. Only first-tier prices
// matter at our volumes; volume discounts further down are ignored.
var USEast1 = Prices{
	Region:  "us-east-1",
	Checked: "2026-12-01",

	// $0.0000133334 per GB-second for arm64, first 7.5 billion GB-s a month.
	// Source: https://aws.amazon.com/lambda/pricing/ (rate table is
	// client-rendered in the stored copy; confirmed 2026-12-01 against
	// cloudchipr.com/blog/aws-lambda-pricing and other 2025-2026 guides).
	// Duration is billed per 1 ms, rounded up.
	LambdaArmPerGBSecond: 0.0000133334,
	// $0.20 per million requests, x86 and arm64 alike.
	// Source: https://aws.amazon.com/lambda/pricing/, confirmed 2026-12-01.
	LambdaPerMillionRequests: 0.20,

	// $1.00 per million requests, first 300 million a month; HTTP APIs are
	// metered in 512 KB increments.
	// Source: https://aws.amazon.com/api-gateway/pricing/ and the AWS
	// whitepaper https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html,
	// confirmed 2026-12-01.
	HTTPAPIPerMillionRequests: 1.00,

	// $0.625 per million write request units, after the 50% on-demand price
	// cut effective 2024-11-01. A standard write is 1 WRU per 1 KB, a
	// transactional write 2 WRU per 1 KB.
	// Source: https://aws.amazon.com/dynamodb/pricing/on-demand/ (unit rules
	// confirmed there; the figure is client-rendered in the stored copy and
	// was confirmed 2026-12-01 against airbyte.com and jusdb.com 2025 guides).
	DynamoPerMillionWRU: 0.625,
	// $0.125 per million read request units: a strongly consistent read is
	// 1 RRU per 4 KB, eventually consistent 0.5, transactional 2.
	// Source and confirmation as DynamoPerMillionWRU.
	DynamoPerMillionRRU: 0.125,
	// $0.02 per 100,000 streams read request units (each GetRecords call is
	// one unit, returning up to 1 MB); the first 2.5 million a month are
	// free. GetRecords calls made by Lambda triggers (and global tables) are
	// not charged; those made by any other consumer are, and EventBridge
	// Pipes is another consumer: this was not found stated for Pipes in so
	// many words, so check it on the first bill.
	// Sources: https://aws.amazon.com/dynamodb/pricing/on-demand/ and
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CostOptimization_StreamsUsage.html.
	// The $0.02 figure was NOT confirmed from an AWS page on 2026-12-01 (only
	// from third-party cost tables); the free tier and the Lambda exemption were.
	StreamsPerMillionReads: 0.20,
	// $0.25 per GB-month (Standard table class); the first 25 GB a month are
	// free. Each item is billed with 100 bytes of overhead.
	// Sources: https://aws.amazon.com/dynamodb/pricing/ and
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html,
	// confirmed 2026-12-01.
	DynamoStoragePerGBMonth: 0.25,

	// $0.40 per million requests; events dropped by the pipe's filter are
	// not billed; each 64 KB chunk of an event is one request.
	// Source: https://aws.amazon.com/eventbridge/pricing/ (the Pipes section
	// was not in the stored copy; confirmed 2026-12-01 against cloudburn.io,
	// March 2026, and factualminds.com, June 2026).
	PipesPerMillionRequests: 0.40,
	// $0.40 per million requests for standard queues (first 100 billion a
	// month); each 64 KB chunk of a payload is one request; every API call,
	// including an empty ReceiveMessage, is a request.
	// Source: https://aws.amazon.com/sqs/pricing/ (confirmed 2026-12-01
	// against factualminds.com, June 2026, and cloudburn.io, March 2026).
	SQSPerMillionRequests: 0.40,

	// $0.10 per 1,000 outbound mails (à la carte, $0.0001 per recipient).
	// Since 2026-07-21 SES also sells plans, and new accounts default to the
	// Essentials plan at $0.16 per 1,000 for the first 10 million a month; set
	// this field to 0.16 for such an account.
	// Source: https://aws.amazon.com/ses/pricing/ via a transcription of the
	// AWS Price List API (publication 2026-07-22) in
	// github.com/api-evangelist/amazon-ses plans/amazon-ses-plans-pricing.yml;
	// NOT confirmed from the AWS page itself on 2026-12-01.
	SESPerThousandMails: 0.10,

	CognitoLite:       cognitoLite,
	CognitoEssentials: cognitoEssentials,
	CognitoPlus:       cognitoPlus,
}

// Cognito user pool feature plans, us-east-1, for users who sign in
// directly (not through SAML or OIDC federation). A user is a monthly active
// user (MAU) in a calendar month in which any identity operation happens for
// it, a sign-up included. The 10,000 free MAUs a month are per account and
// are shared by Lite and Essentials.
// Source: https://aws.amazon.com/cognito/pricing/, whose rate tables are
// client-rendered; the figures below were read on 2026-12-01 from a
// transcription of that page's worked examples (2026-09-20) in
// github.com/api-evangelist/amazon-cognito plans/amazon-cognito-plans-pricing.yml
// and from https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-sign-in-feature-plans.html.
var (
	// Lite: first 10,000 MAUs free, then $0.0055 per MAU up to 100,000 and
	// $0.0046 up to 1,000,000 (both confirmed). $0.00325 up to 10,000,000 and
	// $0.0025 beyond are the published figures as remembered, NOT confirmed
	// on 2026-12-01; they do not affect a million MAUs.
	cognitoLite = CognitoPlan{Name: "Cognito Lite", FreeMAU: 10_000, Tiers: []MAUTier{
		{UpTo: 100_000, PerMAU: 0.0055},
		{UpTo: 1_000_000, PerMAU: 0.0046},
		{UpTo: 10_000_000, PerMAU: 0.00325},
		{PerMAU: 0.0025},
	}}
	// Essentials (the default plan for new user pools): first 10,000 MAUs
	// free, then $0.015 per MAU (confirmed).
	cognitoEssentials = CognitoPlan{Name: "Cognito Essentials", FreeMAU: 10_000, Tiers: []MAUTier{{PerMAU: 0.015}}}
	// Plus: $0.020 per MAU, no free tier (confirmed).
	cognitoPlus = CognitoPlan{Name: "Cognito Plus", Tiers: []MAUTier{{PerMAU: 0.020}}}
)
