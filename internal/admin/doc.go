// Package admin is the back office: operators create customers (who verify
// their address like everyone else, Spryker's rule), list them by status,
// approve and deactivate them, resend their link, act as them
// (impersonation, nopCommerce's rule), and read their activity and consent
// logs. Who the operator is comes from the request's authority (IAM when
// deployed, the local admin token locally): the HTTP adapter refuses a
// request without one before it reaches this package, and every entry this
// package writes names the operator.
//
// # Guarantees
//
// The back office: every path double opt-in, its own authority. The admin routes (`/v1/admin/*`)
// are served by the `admin` function only (no storefront function answers them) and carry API
// Gateway's IAM authorisation; the stack outputs `BackOfficePolicyArn`, a managed policy that
// grants `execute-api:Invoke` on exactly those routes. The function also refuses a request that
// arrives without an IAM identity. Locally the gateway enforces a random admin token exactly there
// (missing → 401, wrong → 403). Customers the back office creates are `unverified` until they use
// their link like everyone else (with a password set, they prove it; without, they choose it under
// the policy after an invitation mail). Listing by status reads the `byStatus` index: its key is
// `<store>#<status>#<shard>` with the shard a hash of the customer id (8 shards), so a status with
// millions of customers spreads its writes over 8 partitions and a page queries the 8 shards for
// at most a page each and merges them (8 × limit items read per page, never a scan; the cursor is
// the sort key of the page's last customer). The index is eventually consistent, so a customer
// written a moment ago may be missing from a list for a moment. `status=undeliverable` reads the
// sparse `byUndeliverable` index instead (one partition a store: only customers whose mail stopped
// carry its key), and lists them whatever their status. Approval under `AdminApproval`
// needs both the link and the operator, in either order; the welcome goes out with the second,
// once (`TestApprovalInEitherOrderWelcomesOnce`). Deactivation ends every session in its write.
// Impersonation (active customers only) starts a 1-hour session that names the operator on every
// activity entry it causes (its `signed_out` entry too, and an `exported` entry when it reads the
// export) and in the customer's export, may not change the password or address, erase the account
// or sign out everywhere (403 `impersonation_forbidden`), and ends with `DELETE
// /v1/sessions/current` without touching the customer's own sessions.
package admin
