// Package sesevents adapts SES's sending events, as EventBridge delivers them
// (detail-type "Email Bounced", "Email Complaint Received"), to the mail
// feedback use case (package deliverability).
//
// # Guarantees
//
// Bounces. SES sends through a configuration set whose bounce and complaint events reach
// `ses-events` via EventBridge; a hard-bounced or complaining address is suppressed and its
// account marked (package deliverability). An event it cannot read is an error, so EventBridge
// retries it.
package sesevents
