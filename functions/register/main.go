// Command register is the Lambda function that registers customers: the
// contract's routes that httpapi.Routes assigns to "register", as API Gateway
// HTTP API payload 2.0 events.
package main

import (
	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/functions"
)

func main() { app.ServeHTTP(functions.Register) }
