package passkey_test

import (
	"slices"
	"testing"

	"github.com/openreg/registration/internal/passkey"
)

func TestConfigFor(t *testing.T) {
	// check runs ConfigFor as a subtest and compares the whole Config.
	check := func(name, storefront string, allowed []string, storeName string, want passkey.Config) {
		t.Run(name, func(t *testing.T) {
			got, err := passkey.ConfigFor(storefront, allowed, storeName)
			if err != nil {
				t.Fatalf("ConfigFor: %v", err)
			}
			if got.RPID != want.RPID || got.RPName != want.RPName || !slices.Equal(got.Origins, want.Origins) {
				t.Errorf("got %+v, want RPID %q, RPName %q, Origins %q", got, want.RPID, want.RPName, want.Origins)
			}
		})
	}
	// A store named "Example" without allowed origins: its name, the RP ID
	// and the storefront's own origin.
	for _, tt := range []struct{ name, storefront, wantRPID, wantOrigin string }{
		{"an https shop on its own domain is its own relying party", "https://example.com/", "example.com", "https://example.com"},
		{"a storefront on a subdomain uses the registrable domain", "https://shop.example.com/en/", "example.com", "https://shop.example.com"},
		{"a registrable domain under a two-label suffix keeps both labels of the suffix", "https://www.shop.example.co.uk:8443/", "example.co.uk", "https://www.shop.example.co.uk:8443"},
		{"a shop on a hosting platform's subdomain is its own relying party, not the platform", "https://myshop.github.io/", "myshop.github.io", "https://myshop.github.io"},
		{"the default port is dropped from the origin", "https://Example.COM:443", "example.com", "https://example.com"},
		{"localhost over http is localhost", "http://localhost:3000/", "localhost", "http://localhost:3000"},
		{"a host under localhost is its own relying party, as browsers refuse localhost there", "http://shop.localhost:8080/", "shop.localhost", "http://shop.localhost:8080"},
		{"a deeper host under localhost uses the label under localhost", "http://www.shop.localhost/", "shop.localhost", "http://www.shop.localhost"},
	} {
		check(tt.name, tt.storefront, nil, "Example", passkey.Config{RPID: tt.wantRPID, RPName: "Example", Origins: []string{tt.wantOrigin}})
	}
	check("an international domain is written in ASCII", "https://shop.bücher.de/", nil, "Bücher",
		passkey.Config{RPID: "xn--bcher-kva.de", RPName: "Bücher", Origins: []string{"https://shop.xn--bcher-kva.de"}})
	check("allowed origins that may claim the RP ID are kept, others left out", "https://shop.example.com", []string{
		"https://www.example.com", "https://admin.example.com:8443", "https://example.com",
		"https://www.example.com", // twice
		"https://other.example",   // another site
		"http://www.example.com",  // not a secure context
		"https://example.com.evil.test",
		"https://www.example.com/path",
		"not an origin",
	}, "Example", passkey.Config{RPID: "example.com", RPName: "Example", Origins: []string{
		"https://shop.example.com", "https://www.example.com", "https://admin.example.com:8443", "https://example.com",
	}})
	check("a local storefront keeps its allowed local origins", "http://localhost:3000", []string{"http://localhost:5173", "http://shop.localhost:5173"}, "Dev",
		passkey.Config{RPID: "localhost", RPName: "Dev", Origins: []string{"http://localhost:3000", "http://localhost:5173", "http://shop.localhost:5173"}})
	check("a store without a name is named by its RP ID", "https://shop.example.com", nil, "  ",
		passkey.Config{RPID: "example.com", RPName: "example.com", Origins: []string{"https://shop.example.com"}})
}

func TestConfigForRefuses(t *testing.T) {
	tests := []struct {
		name       string
		storefront string
	}{
		{"refuses an IPv4 address", "https://192.168.1.10/"},
		{"refuses the loopback address", "http://127.0.0.1:8080/"},
		{"refuses an IPv6 address", "http://[::1]:3000/"},
		{"refuses plain http on a real domain", "http://shop.example.com/"},
		{"refuses a host that is a public suffix", "https://co.uk/"},
		{"refuses a hosting platform's own suffix", "https://github.io/"},
		{"refuses a URL without a scheme", "shop.example.com"},
		{"refuses another scheme", "ftp://shop.example.com/"},
		{"refuses an empty URL", ""},
		{"refuses a host ending with a dot", "https://shop.example.com./"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := passkey.ConfigFor(tt.storefront, nil, "Shop"); err == nil {
				t.Errorf("ConfigFor(%q) = %+v, want an error", tt.storefront, got)
			}
		})
	}
}
