// Command admin is the Lambda function of the back office: the contract's
// admin routes (IAM-authorised when deployed) that
// httpapi.Routes assigns to "admin", as API Gateway HTTP API payload 2.0
// events.
package main

import (
	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/functions"
)

func main() { app.ServeHTTP(functions.Admin) }
