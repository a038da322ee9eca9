// Package cart is the contract's minimal cart and the customer context it
// belongs to: lines of a SKU and a quantity on the current shopper, a guest
// or a signed-in customer. It exists to carry the hand-over: what a guest
// put in the cart is never lost on the way to an account. The rules of a
// line and of merging two carts are here, as plain functions every store
// and use case calls.
//
// # Guarantees
//
// A guest's cart is never lost on the way to an account, and handed over once. Guests
// (`GUEST#<id>`, their lines on the item) expire after `guests.lifetime` of not being seen (a read
// extends it at most once a day and sets the cookie again); search-engine crawlers, matched
// against the crawler-user-agents project's list (`internal/guest/crawlers/`, refreshed with `make
// crawlers`), never create one; an unknown, expired, retired or malformed guest id is no guest. A
// hand-over (sign-in, a confirmation that signs in, `Standard` registration, and the mailer's
// completion of a double opt-in registration) merges the guest's lines into the customer's cart
// (`cart.mergeStrategy`: `sum` capped at `cart.maxQuantity`, `max`, `replace`, `keep-customer`),
// copies the affiliate when the customer has none, and retires the guest, all in the write that
// signs in or creates the account, on the conditions that the guest is not retired yet and the
// customer's cart is at the revision read: of three racing sign-ins exactly one merges, and a
// retried sign-in finds the guest retired and merges nothing (`TestRacingSignInsMergeOnce`,
// `TestSignInMergesTheGuestCart`). A registration that turns out to be an attempt on a verified
// address hands nothing over: the guest keeps its cart. `customer.signed_in` names the guest and
// what the merge did.
package cart
