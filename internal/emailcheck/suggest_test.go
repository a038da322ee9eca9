package emailcheck

import (
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	tests := []struct {
		name, domain, want string
	}{
		{"a swapped pair in a popular domain is suggested", "gmial.com", "gmail.com"},
		{"another", "hotmial.com", "hotmail.com"},
		{"a missing letter", "gmai.com", "gmail.com"},
		{"a wrong ending of a popular domain", "yahoo.con", "yahoo.com"},
		{"a short ending", "gmail.co", "gmail.com"},
		{"a wrong ending of any domain", "shop-example.cpm", "shop-example.com"},
		{"a two-label ending", "example.co.ik", "example.co.uk"},
		{"a popular domain is left alone", "gmail.com", ""},
		{"a short domain two edits from a popular one is left alone", "wxb.dk", ""},
		{"an unknown domain with a known ending is left alone", "my-company.de", ""},
		{"a domain far from everything is left alone", "example.museum", ""},
		{"upper case is read as lower", "GMIAL.COM", "gmail.com"},
		{"no domain, no suggestion", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Suggest(tt.domain); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q", tt.domain, got, tt.want)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"gmail", "gmail", 0}, {"gmial", "gmail", 1}, {"gmai", "gmail", 1}, {"gmaill", "gmail", 1}, {"hotmial", "hotmail", 1},
		{"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzSuggest(f *testing.F) {
	for _, s := range []string{"gmial.com", "a.b", "", ".", "..", "x.co.uk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, domain string) {
		got := Suggest(domain)
		if got != "" && got == domain {
			t.Errorf("Suggest(%q) suggested the domain itself", domain)
		}
	})
}

func TestDisposable(t *testing.T) {
	tests := []struct {
		name, domain string
		want         bool
	}{
		{"a listed domain is disposable", "mailinator.com", true},
		{"a subdomain of a listed domain is too", "x.mailinator.com", true},
		{"upper case is read as lower", "MAILINATOR.COM", true},
		{"a mail provider is not", "gmail.com", false},
		{"a company domain is not", "shop.example", false},
		{"a top-level domain alone is not", "com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Disposable(tt.domain); got != tt.want {
				t.Errorf("Disposable(%q) = %v, want %v", tt.domain, got, tt.want)
			}
		})
	}
	t.Run("the bundled list is sorted, unique and has at least 10,000 domains", func(t *testing.T) {
		list := disposableDomains()
		if len(list) < 10_000 {
			t.Fatalf("%d domains", len(list))
		}
		for i := 1; i < len(list); i++ {
			if list[i-1] >= list[i] {
				t.Fatalf("%q is not before %q", list[i-1], list[i])
			}
		}
	})
}

// FuzzDisposable: the lookup is a pure function of the lower-cased domain,
// and a listed domain's subdomains are listed too.
func FuzzDisposable(f *testing.F) {
	for _, s := range []string{"mailinator.com", "MAILINATOR.COM.", "x.mailinator.com", "gmail.com", "", ".", "a..b"} {
		f.Add(s, "sub")
	}
	f.Fuzz(func(t *testing.T, domain, label string) {
		got := Disposable(domain)
		if lower := Disposable(strings.ToLower(domain)); got != lower {
			t.Errorf("Disposable(%q) = %v but %v in lower case", domain, got, lower)
		}
		if label != "" && !strings.Contains(label, ".") && got && !Disposable(label+"."+domain) {
			t.Errorf("%q is disposable but its subdomain %q is not", domain, label+"."+domain)
		}
	})
}

// BenchmarkCheckWithoutDNS is what a check costs besides its DNS question:
// the syntax, the typo suggestion and the disposable list (registration's
// refusal of a disposable address is a part of it).
func BenchmarkCheckWithoutDNS(b *testing.B) {
	c := New(nil, 0)
	Disposable("warm.example") // the list is split on first use
	b.ReportAllocs()
	for b.Loop() {
		c.Check(b.Context(), "ada.lovelace@gmial.com")
	}
}
