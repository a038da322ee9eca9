package httpapi

import (
	"net/url"
	"strings"
)

// MatchPath matches a request path against a route's path, whose
// segments in braces ("/v1/cart/items/{sku}") stand for any one non-empty
// segment, as API Gateway's route keys do. It returns the decoded values
// of those segments.
func MatchPath(template, path string) (map[string]string, bool) {
	if !strings.Contains(template, "{") {
		return nil, template == path
	}
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	params := map[string]string{}
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			v, err := url.PathUnescape(ps[i])
			if err != nil || v == "" {
				return nil, false
			}
			params[t[1:len(t)-1]] = v
			continue
		}
		if t != ps[i] {
			return nil, false
		}
	}
	return params, true
}
