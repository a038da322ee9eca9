// Command sign-in is the Lambda function behind the contract's sign-in routes
// (see httpapi.Routes). It takes API Gateway HTTP API payload 2.0 events.
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
	"github.com/openreg/registration/internal/httpapi"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.NeedTable, config.NeedMailQueue)
	app.Exit(err)
	aws, err := awsconfig.LoadDefaultConfig(context.Background())
	app.Exit(err)
	sys, err := app.NewSystem(cfg, app.Clients{DynamoDB: dynamodb.NewFromConfig(aws), SQS: sqs.NewFromConfig(aws)}, app.Production(cfg.LogLevel))
	app.Exit(err)
	lambda.Start(sys.API.Handler(httpapi.FnSignIn))
}
