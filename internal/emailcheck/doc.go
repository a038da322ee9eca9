// Package emailcheck tells a shopper, while they type, whether an address
// will reach them: whether it is a valid address (as registration judges
// it), the domain they probably meant (gmial.com → gmail.com), whether the
// domain is a disposable one, and whether it accepts mail (its MX records,
// or its A/AAAA records where it has no MX). It never looks at accounts.
//
// # Guarantees
//
// The check reveals nothing and never waits long (`TestCheck`, `TestSuggest`, `TestDisposable`,
// `TestTheDNSQuestionIsBoundedByTheTimeout`). It
// reads no account, so its answer is the same whether an address is registered or not. Its DNS
// question is bounded by Timeout; a resolver that does not answer in time, or fails, gives
// `domainAcceptsMail: null` (unknown), never false. A null MX (RFC 7505, "."), or a domain that does not
// exist, accepts no mail. The disposable list is bundled (disposable/README.md) and searched after one
// split on first use.
//
// Refusal applies a store's settings emailChecks at registration and address change
// (`TestRefusal`): a disposable domain when the store refuses those (disposable_email), a domain DNS
// says takes no mail when the store requires mail records (email_domain_unreachable). An unanswered
// DNS question never refuses: a resolver's outage must not stop registrations.
package emailcheck
