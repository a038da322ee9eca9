// Command mailer is the Lambda function that sends queued mails through SES,
// each at most once, and carries out the jobs the outbox brings (completing
// registrations, minting links). It takes SQS batches and reports partial
// batch failures.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/app/mailapp"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, aws, rt := app.Boot(config.NeedTable)
	consumer, err := mailapp.New(cfg, app.DynamoDB(cfg.AWS, aws), mailapp.SES(cfg.AWS, aws), app.HTTPClients(cfg.AWS, aws).Secrets, rt)
	app.Exit(err)
	lambda.Start(consumer.HoldWith(mailapp.Holder(cfg, aws)).Handle)
}
