// Command ses-events records SES bounces and complaints (EventBridge events
// from the configuration set) so the mailer never mails those addresses again.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, aws, rt := app.Boot(config.NeedTable)
	lambda.Start(app.NewFeedback(cfg, app.DynamoDB(cfg.AWS, aws), rt).Handle)
}
