package passkey_test

import (
	"slices"
	"testing"

	"github.com/openreg/registration/internal/passkey"
)

func TestConfigFor(t *testing.T) {
	tests := []struct {
		name        string
		storefront  string
		allowed     []string
		storeName   string
		wantRPID    string
		wantOrigins []string
		wantRPName  string
	}{
		{
			name:       "an https shop on its own domain is its own relying party",
			storefront: "https://example.com/", storeName: "Example",
			wantRPID: "example.com", wantOrigins: []string{"https://example.com"}, wantRPName: "Example",
		},
		{
			name:       "a storefront on a subdomain uses the registrable domain",
			storefront: "https://shop.example.com/en/", storeName: "Example",
			wantRPID: "example.com", wantOrigins: []string{"https://shop.example.com"}, wantRPName: "Example",
		},
		{
			name:       "a registrable domain under a two-label suffix keeps both labels of the suffix",
			storefront: "https://www.shop.example.co.uk:8443/", storeName: "Example",
			wantRPID: "example.co.uk", wantOrigins: []string{"https://www.shop.example.co.uk:8443"}, wantRPName: "Example",
		},
		{
			name:       "a shop on a hosting platform's subdomain is its own relying party, not the platform",
			storefront: "https://myshop.github.io/", storeName: "Mine",
			wantRPID: "myshop.github.io", wantOrigins: []string{"https://myshop.github.io"}, wantRPName: "Mine",
		},
		{
			name:       "the default port is dropped from the origin",
			storefront: "https://Example.COM:443", storeName: "Example",
			wantRPID: "example.com", wantOrigins: []string{"https://example.com"}, wantRPName: "Example",
		},
		{
			name:       "an international domain is written in ASCII",
			storefront: "https://shop.bücher.de/", storeName: "Bücher",
			wantRPID: "xn--bcher-kva.de", wantOrigins: []string{"https://shop.xn--bcher-kva.de"}, wantRPName: "Bücher",
		},
		{
			name:       "localhost over http is localhost",
			storefront: "http://localhost:3000/", storeName: "Dev",
			wantRPID: "localhost", wantOrigins: []string{"http://localhost:3000"}, wantRPName: "Dev",
		},
		{
			name:       "a host under localhost is its own relying party, as browsers refuse localhost there",
			storefront: "http://shop.localhost:8080/", storeName: "Dev",
			wantRPID: "shop.localhost", wantOrigins: []string{"http://shop.localhost:8080"}, wantRPName: "Dev",
		},
		{
			name:       "a deeper host under localhost uses the label under localhost",
			storefront: "http://www.shop.localhost/", storeName: "Dev",
			wantRPID: "shop.localhost", wantOrigins: []string{"http://www.shop.localhost"}, wantRPName: "Dev",
		},
		{
			name:       "allowed origins that may claim the RP ID are kept, others left out",
			storefront: "https://shop.example.com", storeName: "Example",
			allowed: []string{
				"https://www.example.com", "https://admin.example.com:8443", "https://example.com",
				"https://www.example.com", // twice
				"https://other.example",   // another site
				"http://www.example.com",  // not a secure context
				"https://example.com.evil.test",
				"https://www.example.com/path",
				"not an origin",
			},
			wantRPID: "example.com",
			wantOrigins: []string{
				"https://shop.example.com", "https://www.example.com", "https://admin.example.com:8443", "https://example.com",
			},
			wantRPName: "Example",
		},
		{
			name:       "a local storefront keeps its allowed local origins",
			storefront: "http://localhost:3000", storeName: "Dev",
			allowed:  []string{"http://localhost:5173", "http://shop.localhost:5173"},
			wantRPID: "localhost", wantOrigins: []string{"http://localhost:3000", "http://localhost:5173", "http://shop.localhost:5173"},
			wantRPName: "Dev",
		},
		{
			name:       "a store without a name is named by its RP ID",
			storefront: "https://shop.example.com", storeName: "  ",
			wantRPID: "example.com", wantOrigins: []string{"https://shop.example.com"}, wantRPName: "example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := passkey.ConfigFor(tt.storefront, tt.allowed, tt.storeName)
			if err != nil {
				t.Fatalf("ConfigFor: %v", err)
			}
			if got.RPID != tt.wantRPID || got.RPName != tt.wantRPName || !slices.Equal(got.Origins, tt.wantOrigins) {
				t.Errorf("got %+v, want RPID %q, RPName %q, Origins %q", got, tt.wantRPID, tt.wantRPName, tt.wantOrigins)
			}
		})
	}
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
