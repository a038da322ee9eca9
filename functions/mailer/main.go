// Command mailer is the Lambda function that sends queued mails through SES.
// It takes SQS batches and reports partial batch failures.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, err := config.Load(os.Getenv)
	app.Exit(err)
	aws, err := awsconfig.LoadDefaultConfig(context.Background())
	app.Exit(err)
	consumer, err := app.NewMailer(cfg, app.Clients{SES: sesv2.NewFromConfig(aws)}, app.Production(cfg.LogLevel))
	app.Exit(err)
	lambda.Start(consumer.Handle)
}
