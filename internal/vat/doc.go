// Package vat checks EU VAT identification numbers: their structure per
// member state (the European Commission's published table, formats.txt),
// and whether VIES knows them (vies.go), the latter off the request path, by
// a mailer job (job.go) that stores the answer on the customer.
//
// # Guarantees
//
// Third parties never hold up a registration. VIES is asked by a job that rides in the
// registration's own write; an outage is retried with backoff and ends as `unknown`, never as
// `invalid`. What a stranger's registration leaves of an address it does not own (its waiting
// subscriptions) expires with it.
package vat
