// Command mailer is the Lambda function that sends queued mails through SES,
// each at most once, and carries out the jobs the outbox brings (completing
// registrations, minting links). It takes SQS batches and reports partial
// batch failures.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, aws, rt := app.Boot(config.NeedTable)
	consumer, err := app.NewMailer(cfg, dynamodb.NewFromConfig(aws), sesv2.NewFromConfig(aws), rt)
	app.Exit(err)
	lambda.Start(consumer.Handle)
}
