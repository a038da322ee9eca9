package emailcheck

import (
	_ "embed"
	"sort"
	"strings"
	"sync"
)

//go:embed disposable/blocklist.txt
var blocklist string

// disposableDomains is the bundled list, split once, on first use (the
// functions that never check an address never pay for it).
var disposableDomains = sync.OnceValue(func() []string { return strings.Fields(blocklist) })

// Disposable reports whether a domain (ASCII, lower case) or one of its
// parents is on the bundled list of disposable mail domains
// (disposable/README.md): mail.mailinator.com is mailinator.com's.
func Disposable(domain string) bool {
	list := disposableDomains()
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	for domain != "" {
		if i := sort.SearchStrings(list, domain); i < len(list) && list[i] == domain {
			return true
		}
		dot := strings.IndexByte(domain, '.')
		if dot < 0 {
			return false
		}
		domain = domain[dot+1:]
	}
	return false
}
