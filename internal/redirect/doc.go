// Package redirect decides which return URLs the service may send a browser
// to. Only local paths are honoured: anything a browser could resolve to
// another origin is replaced by "/", which closes the open-redirect hole.
//
// # Guarantees
//
// No open redirects. `returnUrl` is normalised the way browsers do (`\` as `/`, `%2e` as a dot,
// dot segments removed) before the same-origin check, and the normalised path is what comes back:
// `/.//evil.example`, `/%2e//evil.example`, `/./\evil.example`, `//host`, schemes and encoded
// slashes all become `/` (`TestReturnURLsComeBackNormalised`, `FuzzLocal`).
package redirect
