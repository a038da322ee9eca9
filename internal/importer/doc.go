// Package importer sends a file of customers to the import route
// (POST /v1/admin/customer-imports) for an operator moving a shop:
// `go run ./infra/import -file customers.jsonl -api URL` (make import).
//
// The file is JSON Lines, one customer per line, each as the route takes it
// (infra/import/testdata/customers.jsonl). Lines go out in batches of at
// most 100 customers and 1 MiB, several batches at once; a batch the API
// could not take (429, 5xx, a dropped connection) is sent again after a
// pause, which is safe because imports are idempotent by externalId.
//
// # Guarantees
//
// Resumes where it stopped (`TestRunResumes`). After each batch the state
// file records how many lines are done, counting only a contiguous prefix
// of acknowledged batches, so a run stopped at any moment (Ctrl-C, a crash,
// an expired credential) resumes without skipping a line; a batch sent
// twice is skipped already_imported, never imported twice.
//
// Nothing skipped goes unreported (`TestRun`). Every entry the API skipped,
// and every line that is not a JSON object, is written to the report
// (JSON Lines: line, externalId, code); the summary counts them.
//
// Signed like the back office. Deployed, each request is signed with SigV4
// (service execute-api) by the operator's credentials; against the local
// stack it carries the admin token (`TestSigV4`).
package importer
