// Command sign-in is the Lambda function that signs customers in and out: the
// contract's routes that httpapi.Routes assigns to "sign-in", as API Gateway
// HTTP API payload 2.0 events.
package main

import (
	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/functions"
)

func main() { app.ServeHTTP(functions.SignIn) }
