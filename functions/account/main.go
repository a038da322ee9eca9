// Command account is the Lambda function of My account (profile, password,
// address, export, erasure, password reset): the contract's routes that
// httpapi.Routes assigns to "account", as API Gateway HTTP API payload 2.0
// events.
package main

import (
	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/functions"
)

func main() { app.ServeHTTP(functions.Account) }
