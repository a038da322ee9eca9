// Package devstack runs the synthesized CloudFormation template on one
// machine, against DynamoDB Local and moto, the way AWS runs it. The
// template (cdk.out/CustomerRegistration.template.json, or any other given
// to `go run ./infra/local -template`) is the source of truth:
//
//   - Provision creates its table (keys, index, stream, time to live),
//     queues (with their redrive policies), SES identities and
//     configuration sets, event bus and secrets in the emulators, and
//     returns the local value of every reference (Locals), which resolve
//     the template's Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and
//     pseudo parameters.
//   - Each function runs with its template environment (Local.Env), in this
//     process (Local.InProcess) or as its real bootstrap under AWS's
//     Runtime Interface Emulator (StartRuntimes, a Pool of environments per
//     function as Lambda keeps them).
//   - Every AWS call of every function and Pipe goes through the Enforcer,
//     signed with the principal's own access key id (AccessKeyFor: FNSIGNIN,
//     PIPEOUTBOXPIPE, ...). The Enforcer works out each action, resource
//     ARN and condition key the call needs and evaluates them against that
//     principal's role in the template (package iam); a denied call gets
//     the service's AccessDeniedException and a log line naming the
//     principal, action, resource and keys.
//   - The Pipes run from their AWS::Pipes::Pipe resources (Pipe): source
//     stream, batch size, filter criteria (package eventpattern), input
//     template, target (queue or event bus), retries and dead-letter queue.
//   - The mailer's SQS event source mapping runs from its
//     AWS::Lambda::EventSourceMapping (Poller): batch size, batching window,
//     partial batch responses, maximum concurrency, with the function's
//     credentials.
//   - The gateway serves the API's routes from the template, with its IAM
//     routes (a local admin token stands for the operator's SigV4
//     signature) and its stage's throttles (NewTemplateGateway).
//
// # Guarantees
//
//   - A grant missing from the template fails locally as it would deployed:
//     the request answers 503, a Pipe's batch is retried and then
//     dead-lettered, a mail is redelivered and then parked in the mail
//     dead-letter queue (e2e TestTemplateChangesFailAsInAWS, including the
//     GUEST# finding that started this).
//   - Nothing unknown is allowed: a policy with a condition key or operator
//     the Enforcer cannot supply or evaluate stops the stack at start
//     (NewEnforcer, iam.New); a call whose keys the Enforcer cannot work out
//     is refused (TestCallsTheEnforcerCannotReadAreRefused); an intrinsic or
//     a reference the local stack cannot resolve is an error naming it.
//   - Calls are authorized as AWS authorizes them: every key of a
//     BatchGetItem or BatchWriteItem, each part of a transaction with its
//     own action, a Query's key condition, the bare sender address of a
//     mail, a secret named by name on its full ARN (TestWhatACallNeeds,
//     TestDenialsLookAsInAWS).
//   - The gateway serves exactly the contract's routes, and only the back
//     office's need IAM (e2e TestTheTemplateRoutesTheContract,
//     TestTemplateGateway).
//   - Enforcement costs well under the 2 ms budget a call
//     (BenchmarkEnforce; e2e BenchmarkEnforcingLayer).
//
// What it does not enforce: KMS key policies, resource-based policies
// (the queues' TLS-only policies: the local endpoints are plain HTTP),
// service quotas, the Lambda service's own limits beyond reserved
// concurrency, CloudWatch Logs (the functions log to stdout), the SES
// bounce rule that invokes ses-events (its handler is tested directly),
// and the Pipes' batch bisection and maximum record age.
package devstack
