// Package storefront recognises server-side storefronts: a shop rendered on
// its own server (Next.js, Nuxt, Remix, PHP) calls the API from one address
// for all its shoppers, so it says on whose behalf it calls. It sends one
// of the keys settings serverKeys name in X-Storefront-Key, and the
// shopper's address in X-Shopper-Address; with a valid key the shopper's
// address is the client every per-client limit, CAPTCHA check and activity
// entry uses.
//
// # Guarantees
//
//   - A key is compared in constant time, against every live key (SHA-256
//     digests, so neither its length nor how much of it matched shows in
//     the time), and read from where settings name it on first use and
//     again every five minutes (a revoked key stops working then); a
//     secret that cannot be read is an error (503), never an open door
//     (TestKeys).
//   - X-Shopper-Address is a bare IPv4 or IPv6 address (net/netip; an
//     IPv4-mapped address is its IPv4 address); anything else with a valid
//     key is refused (TestShopperAddress). Without a key it is ignored: a
//     browser cannot choose its own address.
//   - Each key has a ceiling of its own (settings serverKeys[].ceiling),
//     counted on the routes with per-client limits, so a leaked key cannot
//     lift every limit (httpapi, e2e TestServerStorefront).
package storefront
