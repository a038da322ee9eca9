// Package cost prices one pass through the registration backend in dollars
// per million passes, service by service, so a measured flow can be checked
// against the target of $25 per million registrations before mail
// (TargetBeforeMail) and set beside Amazon Cognito's per-MAU price.
//
// A Flow is a list of Steps (register, confirm, mail, ...). Each Step says
// what one pass through it uses: API Gateway requests, Lambda invocations
// (memory and billed duration), DynamoDB calls (from item sizes, or measured
// ConsumedCapacity), pipe events, SQS requests and mails. Price turns a Flow
// into a Breakdown; Breakdown.Table prints it.
//
//	flow := cost.Flow{
//		{
//			Name:        "register",
//			APIRequests: 1,
//			Invocations: []cost.Invocation{{Function: "api", MemoryMB: 1024, Duration: 180 * time.Millisecond}},
//			Dynamo: []cost.DynamoCall{
//				{Op: cost.GetItem, Sizes: []int{300}, Eventual: true},
//				{Op: cost.TransactWriteItems, Sizes: []int{600, 200, 250, 900}},
//			},
//		},
//		{
//			Name:          "mail",
//			PipeRequests:  1,
//			QueueRequests: 3, // SendMessage by the pipe, ReceiveMessage and DeleteMessage by Lambda
//			Invocations:   []cost.Invocation{{Function: "mailer", MemoryMB: 256, Duration: 60 * time.Millisecond}},
//			Dynamo:        []cost.DynamoCall{{Op: cost.PutItem, Sizes: []int{400}}},
//			Mails:         1,
//		},
//	}
//	b, err := cost.Price(cost.USEast1, flow)
//	if err != nil { ... }
//	b.Table(os.Stdout)
//
// Benchmarks that count totals over many runs can hand them over as they
// are: Measured(name, runs, totals) divides by the number of runs.
//
// What the per-flow figures leave out, because it does not grow with
// registrations: free tiers; pollers that run whether or not anything
// happens (the pipe's GetRecords calls on each stream shard and Lambda's
// long-polling of the queue, a few dollars a month at most); storage, which
// StoragePerMonth prices separately; CloudWatch logs and data transfer out.
package cost
