// Package event holds the domain events the rest of the shop consumes: what
// happened to a customer, published on an EventBridge bus. A use case puts
// the events of a change into the change's own write (as it does with mail),
// the table's stream carries them to the bus, so a committed change always
// has its events and a refused one none. Delivery is at least once: ID is
// what a consumer de-duplicates on. Events never carry a password, a token
// or a hash. Their JSON Schemas are under events/schemas/ at the repository
// root, one per type.
//
// # Guarantees
//
// Customer events, never without their change. Each change writes its events (`internal/event`) as
// items in its own transaction, as it does with mail: `customer.registered` (when the account
// exists: at once under `Standard`, when the mailer completes the registration otherwise),
// `customer.verified`, `customer.activated`, `customer.signed_in` (sign-in, and the confirmation
// or `Standard` registration that signs in), `customer.signed_out` (`scope` `session` or
// `everywhere`), `customer.password_changed` (`via` `change` or `reset`),
// `customer.email_changed`, `customer.deleted`. Each event rides on a small item the change
// inserts anyway (a session, an activity entry, a mail; never the customer item, which every
// change rewrites), and only what is left over gets an item of its own. A second EventBridge Pipe
// carries inserted items with an event from the stream to the bus the stack creates
// (`eventBusName`, default `customer-events`), with source `openreg.customers`, the event type as
// detail-type and the item's JSON as detail (retries for a day, then its own dead-letter queue and
// alarm). The detail always has `eventId` (de-duplicate on it: delivery is at least once),
// `customerId`, `storeId` and `occurredAt`, never a password, token or hash; one JSON Schema per
// type is in `events/schemas/`, and `TestEventsReachTheBus` checks every published event against
// it (and that refused requests publish none). One trade-off: `DELETE /v1/sessions/current` ends
// the session without reading the account (one write), so its event names the store the request
// was for. Locally the Pipe stand-in puts the events on moto's EventBridge, a rule forwards them
// to a queue, and `/_local/events` lists the recent ones.
package event
