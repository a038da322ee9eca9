// Command verify-email is the Lambda function that confirms email addresses and takes resend requests: the
// contract's routes that httpapi.Routes assigns to "verify-email", as API Gateway
// HTTP API payload 2.0 events.
package main

import (
	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/functions"
)

func main() { app.ServeHTTP(functions.VerifyEmail) }
