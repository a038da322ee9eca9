// Command mailer is the Lambda function that sends queued mails through SES,
// each at most once, and carries out resend jobs. It takes SQS batches and
// reports partial batch failures.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, clients, rt := app.Boot(config.NeedTable)
	consumer, err := app.NewMailer(cfg, clients, rt)
	app.Exit(err)
	lambda.Start(consumer.Handle)
}
