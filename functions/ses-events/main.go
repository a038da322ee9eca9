// Command ses-events records SES bounces and complaints (EventBridge events
// from the configuration set) so the mailer never mails those addresses again.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.NeedTable)
	app.Exit(err)
	aws, err := awsconfig.LoadDefaultConfig(context.Background())
	app.Exit(err)
	h := app.NewFeedback(cfg, app.Clients{DynamoDB: dynamodb.NewFromConfig(aws)}, app.Production(cfg.LogLevel))
	lambda.Start(h.Handle)
}
