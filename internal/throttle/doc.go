// Package throttle holds the arithmetic of every limit the service applies:
// failed sign-ins per login and client, per client and per login, and the
// per-client caps on the routes that can be abused without an account. A
// limit counts events in fixed windows; each window is its own counter (its
// key names the window), so no counter ever needs resetting, every counter
// expires with its window, and the load of a busy client spreads over new
// keys as time passes. Stores apply a Counter atomically: an event is
// counted only while the counter is under its Max, or, for a counter with a
// Gate, at most once per Gate past it.
//
// # Guarantees
//
// Throttles that stop attackers, not owners (`internal/throttle` holds the window arithmetic).
// Failed sign-ins are counted per login and client address (5 in 15 min, then `locked_out` for
// that client only), per client across logins (20 an hour: spraying gets `too_many_requests`), and
// per login across clients (past 20, one attempt per 3 s gets through: a distributed attack
// crawls, the owner waits seconds, never locked out). The per-login-and-client counter is the
// login as typed (and, once found, its password's): an account's address and username never share
// it, so exhausting it through a known username tells nothing about which address is the account's
// (`TestUsernameAndAddressDoNotShareABudget`). The per-login counter is the account's once found.
// Per-client counters key an IPv6 client on its /64 and an IPv4-mapped address on its IPv4 address
// (`throttle.ClientOf`, `TestIPv6ClientsAreCountedByTheirSlash64`); an attacker with a pool of
// IPv4 addresses or many /64s still gets each its own budget, which is what the per-login counter
// is for. Each counter is a conditional update in the attempt's own transaction, so thirty
// parallel guesses get at most five answers; a right password clears the login's counters.
// Per-client caps on register, resend and sign-in answer 429 with `Retry-After`. Counter keys name
// their window, so no item stays hot and every counter expires with its window. Tested from
// several loopback addresses (`TestThrottlesStopAttackersNotOwners`: the owner signs in from
// 127.0.0.5 after a burst from 127.0.0.4; ten logins sprayed from 127.0.0.6 are stopped at the
// limit). Deployed, the four anonymous write routes also have their own API Gateway stage throttle
// (`routeThrottleRate`/`routeThrottleBurst`).
package throttle
