// Command register is the Lambda function that registers customers: the
// contract's routes that httpapi.Routes assigns to "register", as API Gateway
// HTTP API payload 2.0 events.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/httpapi"
)

func main() {
	cfg, aws, rt := app.Boot(config.NeedTable)
	sys, err := app.NewSystem(cfg, dynamodb.NewFromConfig(aws), rt)
	app.Exit(err)
	lambda.Start(sys.API.Handler(httpapi.FnRegister))
}
