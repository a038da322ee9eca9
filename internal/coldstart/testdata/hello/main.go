// Command hello is the cold-start baseline: the smallest aws-lambda-go
// function, which answers every event with a fixed document and calls no AWS
// service. The benchmarks in internal/coldstart build it with the same flags
// as the real functions (it lives under testdata so ./... leaves it alone).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (map[string]string, error) {
		return map[string]string{"message": "hello"}, nil
	})
}
