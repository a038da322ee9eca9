// Command ses-events records SES bounces and complaints (EventBridge events
// from the configuration set) so the mailer never mails those addresses again.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, aws, rt := app.Boot(config.NeedTable)
	lambda.Start(app.NewFeedback(cfg, dynamodb.NewFromConfig(aws), rt).Handle)
}
