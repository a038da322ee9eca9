// Package sesevents adapts SES's sending events, as EventBridge delivers them
// (detail-type "Email Bounced", "Email Complaint Received"), to the mail
// feedback use case.
//
// # Guarantees
//
// Bounces. SES sends through a configuration set whose bounce and complaint events reach
// `ses-events` via EventBridge; a hard-bounced or complaining address is stored as suppressed and
// the mailer never mails it again.
package sesevents
