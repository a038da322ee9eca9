package settings

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// problems collects what is wrong with a document, each naming its key.
type problems []error

func (p *problems) bad(key, format string, a ...any) {
	*p = append(*p, fmt.Errorf("settings.%s: %s", key, fmt.Sprintf(format, a...)))
}

// durationIn reports d outside [min, max]; when says when the bound
// applies ("when max is set"), if not always.
func (p *problems) durationIn(key string, d Duration, min, max time.Duration, when string) {
	if time.Duration(d) < min || time.Duration(d) > max {
		if when != "" {
			when = " " + when
		}
		p.bad(key, "must be between %s and %s%s, got %s", short(min), short(max), when, time.Duration(d))
	}
}

// intIn reports n outside [min, max].
func (p *problems) intIn(key string, n, min, max int) {
	if n < min || n > max {
		p.bad(key, "must be between %d and %d, got %d", min, max, n)
	}
}

// pattern reports an empty or uncompilable regular expression.
func (p *problems) pattern(key, expr string) {
	if _, err := regexp.Compile(expr); err != nil || expr == "" {
		p.bad(key, "must be a regular expression, got %q", expr)
	}
}

// short writes a bound as an operator writes it: 24h, 1m, 100ms.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
