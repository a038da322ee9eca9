// Package functions names the Lambda functions, one per directory of
// functions/ and the same name deployed: the contract's routes
// (internal/httpapi), the CDK stack, their sizes (internal/sizing), the
// local stack and the tests all take the names from here. The Makefile and
// devstack.Functions find the same set by listing functions/; this
// package's test keeps the two in step.
package functions

// The functions, by their directory under functions/.
const (
	// Register serves registration: the form and POST /v1/customers.
	Register = "register"
	// VerifyEmail confirms addresses and takes resend requests.
	VerifyEmail = "verify-email"
	// SignIn serves sessions: sign-in, sign-out, who am I.
	SignIn = "sign-in"
	// Account serves a signed-in customer's account, password resets and
	// address changes.
	Account = "account"
	// Cart serves guests and carts.
	Cart = "cart"
	// Admin is the back office.
	Admin = "admin"
	// Mailer sends the queued mails and carries out the outbox's jobs.
	Mailer = "mailer"
	// SESEvents records SES bounces and complaints.
	SESEvents = "ses-events"
)

// All lists every function, in the order the stack deploys them.
var All = []string{Register, SignIn, VerifyEmail, Account, Cart, Admin, Mailer, SESEvents}
