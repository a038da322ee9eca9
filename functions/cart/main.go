// Command cart is the Lambda function of the customer context: guests and
// carts: the contract's routes that
// httpapi.Routes assigns to "cart", as API Gateway HTTP API payload 2.0
// events.
package main

import (
	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/functions"
)

func main() { app.ServeHTTP(functions.Cart) }
