// Package store is the DynamoDB adapter: one table holds customers, the
// uniqueness keys of their email addresses and usernames, verification tokens,
// sessions, sign-in throttles, consent and activity logs, and the mail outbox.
// It translates DynamoDB's conditional failures into the domain's errors and
// every other failure into apperr.Unavailable, so the domain never imports
// the SDK.
//
// # Guarantees
//
// No change without its mail (transactional outbox, no queue call on the request path). Every mail
// or job a change causes (the registration's completion job, the welcome, the store owner's
// notice, a resend job) is an outbox item written in the same DynamoDB transaction as the change;
// the HTTP functions never call SQS. The table's stream (new images) feeds an EventBridge Pipe
// whose filter passes only inserted outbox items and whose input template makes the item's
// `message` the queue message's body. If the queue is down, the Pipe retries for up to a day (the
// stream's retention), then parks the record positions in its own dead-letter queue (alarm); the
// item itself stays 7 days for a redrive. Outbox items are never deleted by code: TTL removes
// them, and the Pipe's filter ignores those deletions. Locally `devstack.Pipe` does the same from
// DynamoDB Local's stream (`TestQueueOutage`, `TestOutboxReachesTheStream`).
package store
