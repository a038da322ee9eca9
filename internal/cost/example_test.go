package cost_test

import (
	"fmt"
	"os"
	"time"

	"github.com/openreg/registration/internal/cost"
)

// A double opt-in registration, with made-up but plausible figures: the
// API Lambda hashes the password (argon2id) and writes the customer, the
// address claim, the confirmation token and the outbox record in one
// transaction; the pipe forwards the outbox record to SQS; the mailer
// renders and sends the mail; the customer then confirms. Replace the
// figures with measured ones.
func Example() {
	flow := cost.Flow{
		{
			Name:        "register",
			APIRequests: 1,
			Invocations: []cost.Invocation{{Function: "api", MemoryMB: 1024, Duration: 180 * time.Millisecond}},
			Dynamo: []cost.DynamoCall{
				{Op: cost.UpdateItem, Sizes: []int{120}},                        // throttle counter
				{Op: cost.TransactWriteItems, Sizes: []int{700, 150, 250, 900}}, // 8 WRU
			},
		},
		{
			Name:          "mail",
			PipeRequests:  1,
			QueueRequests: 3, // SendMessage (pipe), ReceiveMessage and DeleteMessage (Lambda)
			Invocations:   []cost.Invocation{{Function: "mailer", MemoryMB: 256, Duration: 60 * time.Millisecond}},
			Dynamo:        []cost.DynamoCall{{Op: cost.PutItem, Sizes: []int{300}}},
			Mails:         1,
		},
		{
			Name:        "confirm",
			APIRequests: 1,
			Invocations: []cost.Invocation{{Function: "api", MemoryMB: 1024, Duration: 25 * time.Millisecond}},
			Dynamo: []cost.DynamoCall{
				{Op: cost.GetItem, Sizes: []int{250}},
				{Op: cost.TransactWriteItems, Sizes: []int{700, 250}}, // 4 WRU
			},
		},
	}
	b, err := cost.Price(cost.USEast1, flow)
	if err != nil {
		fmt.Println(err)
		return
	}
	b.Table(os.Stdout)
	fmt.Println()
	cost.Compare(os.Stdout, b, cost.USEast1)
	// Output:
	// Cost of 1,000,000 flows (us-east-1 prices checked 2026-12-01)
	// service                 usage per flow          $ per 1M flows
	// API Gateway HTTP API    2 requests                    2.00
	// Lambda requests         3 invocations                 0.60
	// Lambda compute (arm64)  0.22 GB-s                     2.93
	// DynamoDB writes         14 WRU                        8.75
	// DynamoDB reads          1 RRU                         0.12
	// DynamoDB Streams reads  0 GetRecords calls            0.00
	// EventBridge Pipes       1 request                     0.40
	// SQS                     3 requests                    1.20
	// before mail             within target of 25.00       16.01
	// SES                     1 mail                      100.00
	// total                                               116.01
	//
	// step      times per flow  $ before mail
	// register  1                     9.23
	// mail      1                     2.63
	// confirm   1                     4.16
	//
	// 1,000,000 registrations in a month, before mail  $ a month
	// our flow                                              16.01
	// Cognito Lite (1,000,000 MAU)                        4635.00
	// Cognito Essentials (1,000,000 MAU)                 14850.00
	// Cognito Plus (1,000,000 MAU)                       20000.00
}
