// Command account is the Lambda function of My account (profile, password,
// address, export, erasure, password reset): the contract's routes that
// httpapi.Routes assigns to "account", as API Gateway HTTP API payload 2.0
// events.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/httpapi"
)

func main() {
	cfg, aws, rt := app.Boot(config.NeedTable)
	sys, err := app.NewSystem(cfg, app.NewStore(cfg, app.DynamoDB(cfg.AWS, aws), rt), app.HTTPClients(cfg.AWS, aws), rt)
	app.Exit(err)
	lambda.Start(sys.API.Handler(httpapi.FnAccount))
}
