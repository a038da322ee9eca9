// Command mailer is the Lambda function that sends queued mails through SES,
// each at most once, and carries out resend jobs. It takes SQS batches and
// reports partial batch failures.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.NeedTable)
	app.Exit(err)
	aws, err := awsconfig.LoadDefaultConfig(context.Background())
	app.Exit(err)
	consumer, err := app.NewMailer(cfg, app.Clients{DynamoDB: dynamodb.NewFromConfig(aws), SES: sesv2.NewFromConfig(aws)}, app.Production(cfg.LogLevel))
	app.Exit(err)
	lambda.Start(consumer.Handle)
}
