package guest_test

import (
	"testing"

	"github.com/openreg/registration/internal/guest"
)

// BenchmarkIsCrawler: what the check costs a request (a browser's agent, the
// common case, is matched against every pattern).
func BenchmarkIsCrawler(b *testing.B) {
	guest.IsCrawler("warm-up")
	ua := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
	for b.Loop() {
		guest.IsCrawler(ua)
	}
}
