// Command outbox-relay sends mails that were stored with their change but
// could not reach the mail queue at the time (the queue was down). It runs on
// a schedule; see outbox.Relay.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.NeedTable, config.NeedMailQueue)
	app.Exit(err)
	aws, err := awsconfig.LoadDefaultConfig(context.Background())
	app.Exit(err)
	rt := app.Production(cfg.LogLevel)
	sys, err := app.NewSystem(cfg, app.Clients{DynamoDB: dynamodb.NewFromConfig(aws), SQS: sqs.NewFromConfig(aws)}, rt)
	app.Exit(err)
	lambda.Start(func(ctx context.Context) error {
		n, err := sys.Relay.Drain(ctx)
		rt.Log.InfoContext(ctx, "outbox drained", "sent", n, "error", err)
		return err
	})
}
