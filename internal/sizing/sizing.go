// Package sizing holds what each function is given in AWS: its memory size
// (which also buys its CPU share) and its timeout, and how often the mail
// queue retries a mail. The CDK stack deploys these numbers, and the local
// stack and the cost benchmark use the same, so all read them here.
// The memory sizes come from the duration × price curve measured by
// internal/coldstart's BenchmarkMemorySizes (the README's performance
// section shows it).
package sizing

import "github.com/openreg/registration/internal/functions"

// MemoryMB is each function's memory size.
var MemoryMB = map[string]int{
	// argon2id at m=19 MiB wants CPU, and Lambda gives CPU in proportion
	// to memory.
	functions.Register: 1024,
	functions.SignIn:   1024,
	// Confirming hashes once too (the password proves the account).
	functions.VerifyEmail: 1024,
	// A reset or a password change hashes the new password.
	functions.Account: 1024,
	// No hashing: guests and carts are reads and one-line writes.
	functions.Cart: 512,
	// Creating a customer with a password hashes it.
	functions.Admin:     1024,
	functions.Mailer:    256,
	functions.SESEvents: 256,
}

// MailMaxReceives is how often the mail queue hands a mail to the mailer
// before it parks it in the dead-letter queue (the stack's redrive policy;
// the local queue has the same).
const MailMaxReceives = 5

// TimeoutSeconds is each function's timeout.
var TimeoutSeconds = map[string]int{
	functions.Register: 10, functions.SignIn: 10, functions.VerifyEmail: 10, functions.Account: 10, functions.Cart: 10, functions.Admin: 10, functions.Mailer: 30, functions.SESEvents: 10,
}
