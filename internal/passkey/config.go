package passkey

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Config is one storefront's relying party: the RP ID credentials are bound
// to, the name authenticators show, and the origins whose ceremonies count.
type Config struct {
	// RPID is the registrable domain of the storefront's host (or the
	// host itself for localhost hosts), in ASCII.
	RPID string
	// RPName is what an authenticator shows beside the account.
	RPName string
	// Origins are the serialised origins (scheme://host[:port], default
	// port dropped) a ceremony may come from: the storefront's first,
	// then the allowed origins a browser would let claim RPID.
	Origins []string
}

// ConfigFor derives a storefront's relying party from its URL, its allowed
// origins (urls.storefront and urls.allowedOrigins) and its name.
//
// The RP ID is the registrable domain of the storefront's host
// (publicsuffix.EffectiveTLDPlusOne: `https://shop.example.co.uk` →
// `example.co.uk`), so every subdomain of the shop can use the same
// passkeys. Hosts under `localhost` follow the same rule, because browsers
// treat `localhost` as a public suffix: `localhost` stays `localhost`, and
// `shop.localhost` is its own RP ID (Chrome and Firefox refuse `localhost`
// as the RP ID of a page on `shop.localhost`). An IP address, a host that is
// itself a public suffix, a storefront served over plain http anywhere but
// on a localhost host, or a storefront URL that is not an absolute http(s)
// URL is an error: browsers offer no passkeys there.
//
// An allowed origin is kept only if a browser would let a page there claim
// the RP ID: https (http only on localhost hosts) and a host equal to the
// RP ID or under it. Others (another site's origin allowed for CORS) are
// left out silently; they may still call the API, but not with passkeys.
func ConfigFor(storefrontURL string, allowedOrigins []string, storeName string) (Config, error) {
	u, err := url.Parse(storefrontURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return Config{}, fmt.Errorf("passkey: the storefront URL %q is not an absolute http(s) URL", storefrontURL)
	}
	origin, host, err := serialiseOrigin(u)
	if err != nil {
		return Config{}, fmt.Errorf("passkey: the storefront URL %q: %w", storefrontURL, err)
	}
	if u.Scheme == "http" && !isLocalhost(host) {
		return Config{}, fmt.Errorf("passkey: the storefront %q is served over http; browsers offer passkeys only to https pages and localhost", storefrontURL)
	}
	rpID, err := registrableDomain(host)
	if err != nil {
		return Config{}, fmt.Errorf("passkey: the storefront URL %q: %w", storefrontURL, err)
	}
	cfg := Config{RPID: rpID, RPName: strings.TrimSpace(storeName), Origins: []string{origin}}
	if cfg.RPName == "" {
		cfg.RPName = rpID
	}
	for _, raw := range allowedOrigins {
		o, ok := claimingOrigin(raw, rpID)
		if ok && !slices.Contains(cfg.Origins, o) {
			cfg.Origins = append(cfg.Origins, o)
		}
	}
	return cfg, cfg.validate()
}

// validate checks what New relies on: an RP ID that is a valid domain
// string and no IP address, a name, and at least one origin.
func (c Config) validate() error {
	if err := protocol.ValidateRPID(c.RPID); err != nil {
		return fmt.Errorf("passkey: the RP ID %q: %w", c.RPID, err)
	}
	if c.RPName == "" {
		return errors.New("passkey: the relying party has no name")
	}
	if len(c.Origins) == 0 {
		return errors.New("passkey: the relying party has no origin")
	}
	return nil
}

// claimingOrigin returns raw serialised when it is an origin from which a
// browser lets a page use rpID.
func claimingOrigin(raw, rpID string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false
	}
	o, host, err := serialiseOrigin(u)
	if err != nil || (u.Scheme == "http" && !isLocalhost(host)) {
		return "", false
	}
	return o, host == rpID || strings.HasSuffix(host, "."+rpID)
}

// serialiseOrigin returns u's origin as a browser writes it in
// clientDataJSON (lower-case ASCII host, default port dropped) and its host.
func serialiseOrigin(u *url.URL) (origin, host string, err error) {
	host = strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return "", "", errors.New("an IP address cannot be a relying party")
	}
	if strings.HasSuffix(host, ".") {
		return "", "", errors.New("the host ends with a dot")
	}
	if host, err = idna.Lookup.ToASCII(host); err != nil {
		return "", "", fmt.Errorf("the host is no domain name: %w", err)
	}
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	origin = u.Scheme + "://" + host
	if port != "" {
		origin += ":" + port
	}
	return origin, host, nil
}

// registrableDomain is the RP ID for a page on host.
func registrableDomain(host string) (string, error) {
	if host == "localhost" {
		return host, nil
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return "", fmt.Errorf("the host has no registrable domain: %w", err)
	}
	return d, nil
}

// isLocalhost reports whether host is localhost or under it: the only
// hosts a browser treats as a secure context over plain http (besides the
// loopback addresses, which cannot be relying parties).
func isLocalhost(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}
