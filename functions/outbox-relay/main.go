// Command outbox-relay sends mails that were stored with their change but
// could not reach the mail queue at the time (the queue was down). It runs on
// a schedule; see outbox.Relay.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
)

func main() {
	cfg, clients, rt := app.Boot(config.NeedTable, config.NeedMailQueue)
	relay := app.NewRelay(cfg, clients, rt)
	lambda.Start(func(ctx context.Context) error {
		n, err := relay.Drain(ctx)
		rt.Log.InfoContext(ctx, "outbox drained", "sent", n, "error", err)
		return err
	})
}
