package stack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/settings"
)

// Context keys an operator sets in cdk.json or with `cdk deploy -c key=value`.
const (
	CtxStackName     = "stackName"
	CtxSettingsFile  = "settingsFile"
	CtxCodeDir       = "codeDir"
	CtxSESIdentity   = "sesIdentity"
	CtxOperatorEmail = "operatorEmail"
	CtxThrottleRate  = "throttleRate"
	CtxThrottleBurst = "throttleBurst"
	// CtxRouteThrottleRate and CtxRouteThrottleBurst throttle each of
	// ThrottledRoutes (default 10 and 20).
	CtxRouteThrottleRate  = "routeThrottleRate"
	CtxRouteThrottleBurst = "routeThrottleBurst"
	// CtxReservedConcurrency is reserved for each of
	// ReservedConcurrencyFunctions (default DefaultReservedConcurrency; 0
	// reserves none).
	CtxReservedConcurrency = "reservedConcurrency"
	// CtxDomainName serves the API on the shop's own domain (e.g.
	// api.shop.example), with the certificate CtxCertificateArn names or
	// one validated in the Route 53 zone CtxHostedZoneID names (which then
	// also gets the alias record).
	CtxDomainName     = "domainName"
	CtxCertificateArn = "certificateArn"
	CtxHostedZoneID   = "hostedZoneId"
)

// AppProps are the stack's name and props as the app builds them.
type AppProps struct {
	StackName string
	Props     Props
}

// PropsFromContext reads and validates the operator's choices. get returns a
// context value or nil. Every problem is reported at once.
func PropsFromContext(get func(string) any) (AppProps, error) {
	str := func(key, def string) string {
		if v, ok := get(key).(string); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	var errs []error
	// number reads a numeric context value, given in cdk.json (a number) or
	// with -c (a string); ok is false when the key is unset or wrong.
	number := func(key, want string, valid func(float64) bool) (f float64, ok bool) {
		switch v := get(key).(type) {
		case nil:
			return 0, false
		case float64:
			f = v
		case string:
			var err error
			if f, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				errs = append(errs, fmt.Errorf("context %s must be %s, got %s", key, want, shown(v)))
				return 0, false
			}
		default:
			errs = append(errs, fmt.Errorf("context %s must be %s, got %s", key, want, shown(v)))
			return 0, false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || !valid(f) {
			errs = append(errs, fmt.Errorf("context %s must be %s, got %s", key, want, shown(get(key))))
			return 0, false
		}
		return f, true
	}
	whole := func(f float64) bool { return f == math.Trunc(f) }
	// rate is requests per second (fractions allowed); burst and
	// concurrency are whole numbers, as API Gateway and Lambda take them.
	rate := func(key string) float64 {
		f, _ := number(key, "a positive number", func(f float64) bool { return f > 0 })
		return f
	}
	burst := func(key string) float64 {
		f, _ := number(key, "a positive whole number", func(f float64) bool { return f > 0 && whole(f) })
		return f
	}
	out := AppProps{StackName: str(CtxStackName, "CustomerRegistration")}
	out.Props.CodeDir = str(CtxCodeDir, "bin")
	out.Props.SESIdentity = str(CtxSESIdentity, "")
	out.Props.OperatorEmail = str(CtxOperatorEmail, "")
	out.Props.ThrottleRate = rate(CtxThrottleRate)
	out.Props.ThrottleBurst = burst(CtxThrottleBurst)
	out.Props.RouteThrottleRate = rate(CtxRouteThrottleRate)
	out.Props.RouteThrottleBurst = burst(CtxRouteThrottleBurst)
	if f, ok := number(CtxReservedConcurrency, "a whole number, 0 or more", func(f float64) bool { return f >= 0 && f <= 1e6 && whole(f) }); ok {
		n := int(f)
		out.Props.ReservedConcurrency = &n
	}

	// Deploying on defaults would mail links to 127.0.0.1: the operator
	// must say where the API and the storefront live.
	var doc []byte
	if file := str(CtxSettingsFile, ""); file == "" {
		errs = append(errs, fmt.Errorf("context %s is not set: pass your settings document with -c %s=path/to/settings.json", CtxSettingsFile, CtxSettingsFile))
	} else if b, err := os.ReadFile(file); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", CtxSettingsFile, err))
	} else {
		doc = b
	}
	out.Props.Domain = Domain{Name: str(CtxDomainName, ""), CertificateArn: str(CtxCertificateArn, ""), HostedZoneID: str(CtxHostedZoneID, "")}
	if err := out.Props.Domain.validate(); err != nil {
		errs = append(errs, err)
	}
	doc, err := withPublicAPI(doc, out.Props.Domain.Name)
	if err != nil {
		errs = append(errs, err)
	}
	s, js, err := ValidateSettings(doc)
	if err != nil {
		errs = append(errs, err)
	}
	out.Props.Settings, out.Props.SettingsJSON = s, js

	for _, fn := range functions.All {
		if _, err := os.Stat(out.Props.CodeDir + "/" + fn + "/bootstrap"); err != nil {
			errs = append(errs, fmt.Errorf("%s/%s/bootstrap is missing: run `make build` first", out.Props.CodeDir, fn))
		}
	}
	out.Props.StackProps = awscdk.StackProps{Description: strPtr("Customer registration backend: API, functions, table, mail queue, SES, alarms")}
	return out, errors.Join(errs...)
}

// ValidateSettings checks a settings document exactly as the functions will at
// cold start, and that its public URLs work for a deployed stack (see
// deployableURLs), and returns it compacted (same content, no insignificant
// whitespace) for the functions' environment. Every problem is reported at
// once.
func ValidateSettings(doc []byte) (settings.Settings, string, error) {
	var errs []error
	s, err := settings.Parse(doc)
	urls := s.URLs
	if err != nil {
		errs = append(errs, err)
		// Parse returns nothing on error; read the URLs alone (over the
		// defaults, as Parse does) so that their problems are listed too.
		var d struct {
			URLs settings.URLs `json:"urls"`
		}
		d.URLs = settings.Default().URLs
		if json.Unmarshal(doc, &d) == nil {
			urls = d.URLs
		}
	}
	if !NamesPublicAPI(doc) {
		urls.PublicAPI = "" // the API's own endpoint, or its custom domain
	}
	errs = append(errs, deployableURLs(urls))
	if c := s.Captcha; c != nil {
		if scheme, _ := c.SecretRef(); scheme == settings.SecretFile {
			errs = append(errs, errors.New("settings.captcha.secret: a deployed stack reads the secret from ssm:<parameter> or secretsmanager:<secret>; file: is for the local stack"))
		}
	}
	for i, k := range s.ServerKeys {
		if scheme, _ := k.SecretRef(); scheme == settings.SecretFile {
			errs = append(errs, fmt.Errorf("settings.serverKeys[%d].secret: a deployed stack reads the key from ssm:<parameter> or secretsmanager:<secret>; file: is for the local stack", i))
		}
	}
	if scheme, _ := s.DeviceTrust.SecretRef(); scheme == settings.SecretFile {
		errs = append(errs, errors.New("settings.deviceTrust.secret: a deployed stack reads the keys from ssm:<parameter> or secretsmanager:<secret> (or, left empty, generates them); file: is for the local stack"))
	}
	var buf bytes.Buffer
	if len(bytes.TrimSpace(doc)) > 0 {
		if err := json.Compact(&buf, doc); err != nil {
			errs = append(errs, fmt.Errorf("settings: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return settings.Settings{}, "", fmt.Errorf("registration settings are invalid:\n%w", err)
	}
	return s, buf.String(), nil
}

// Domain is the API's custom domain (Name empty: none).
type Domain struct {
	Name           string
	CertificateArn string
	HostedZoneID   string
}

var (
	hostname  = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	acmARN    = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$`)
	zoneIDPat = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
)

func (d Domain) validate() error {
	switch {
	case d.Name == "" && (d.CertificateArn != "" || d.HostedZoneID != ""):
		return fmt.Errorf("context %s or %s needs %s", CtxCertificateArn, CtxHostedZoneID, CtxDomainName)
	case d.Name == "":
		return nil
	case !hostname.MatchString(d.Name) || thisMachine(d.Name):
		return fmt.Errorf("context %s must be a public host name such as api.shop.example, got %s", CtxDomainName, shown(d.Name))
	case (d.CertificateArn == "") == (d.HostedZoneID == ""):
		return fmt.Errorf("context %s needs exactly one of %s (a certificate for it in ACM) or %s (a Route 53 zone to validate one in)",
			CtxDomainName, CtxCertificateArn, CtxHostedZoneID)
	case d.CertificateArn != "" && !acmARN.MatchString(d.CertificateArn):
		return fmt.Errorf("context %s must be an ACM certificate ARN, got %s", CtxCertificateArn, shown(d.CertificateArn))
	case d.HostedZoneID != "" && !zoneIDPat.MatchString(d.HostedZoneID):
		return fmt.Errorf("context %s must be a Route 53 hosted zone id such as Z0123456789ABC, got %s", CtxHostedZoneID, shown(d.HostedZoneID))
	}
	return nil
}

// withPublicAPI settles urls.publicApi, where mailed links point: with a
// custom domain it is https://<domain> (a document naming another URL is
// refused: links would point past the domain); without one, a document that
// names none leaves it to the API's own endpoint (API_URL), so that the
// first deploy is complete.
func withPublicAPI(doc []byte, domain string) ([]byte, error) {
	var d map[string]json.RawMessage
	if len(bytes.TrimSpace(doc)) == 0 || json.Unmarshal(doc, &d) != nil {
		return doc, nil // ValidateSettings reports it
	}
	var urls map[string]json.RawMessage
	_ = json.Unmarshal(d["urls"], &urls)
	var given string
	_ = json.Unmarshal(urls["publicApi"], &given)
	if domain == "" {
		return doc, nil
	}
	want := "https://" + domain
	if given != "" && strings.TrimRight(given, "/") != want {
		return nil, fmt.Errorf("settings.urls.publicApi %q contradicts context %s=%s: mailed links must point at %s", given, CtxDomainName, domain, want)
	}
	if urls == nil {
		urls = map[string]json.RawMessage{}
	}
	urls["publicApi"], _ = json.Marshal(want)
	d["urls"], _ = json.Marshal(urls)
	return json.Marshal(d)
}

// NamesPublicAPI reports whether a settings document names urls.publicApi.
func NamesPublicAPI(doc []byte) bool {
	var d struct {
		URLs struct {
			PublicAPI string `json:"publicApi"`
		} `json:"urls"`
	}
	return json.Unmarshal(doc, &d) == nil && d.URLs.PublicAPI != ""
}

// deployableURLs refuses public URLs that work only on a developer's
// machine: customers follow mailed links to urls.publicApi and are sent on to
// urls.storefront, and browsers on those origins call the API with the
// session cookie. Each must be https (the cookie is Secure) on a host other
// than this machine. The settings package accepts plain http on loopback for
// the local stack; a deployed stack must not.
func deployableURLs(u settings.URLs) error {
	var errs []error
	check := func(key, raw string) {
		if why := notDeployable(raw); why != "" {
			errs = append(errs, fmt.Errorf("settings.%s: %s in a deployed stack, got %q", key, why, raw))
		}
	}
	if u.PublicAPI != "" {
		check("urls.publicApi", u.PublicAPI)
	}
	check("urls.storefront", u.Storefront)
	for i, o := range u.AllowedOrigins {
		check(fmt.Sprintf("urls.allowedOrigins[%d]", i), o)
	}
	return errors.Join(errs...)
}

// notDeployable says why raw is no public https URL, or returns "".
func notDeployable(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "must be an https URL"
	}
	var why []string
	if u.Scheme != "https" {
		why = append(why, "must use https")
	}
	if host := u.Hostname(); host == "" {
		why = append(why, "must have a host")
	} else if thisMachine(host) {
		why = append(why, "must not point at this machine ("+host+")")
	}
	return strings.Join(why, " and ")
}

// thisMachine reports whether host names the local machine: localhost and
// its subdomains, 127.0.0.0/8, ::1 (also IPv4-mapped), 0.0.0.0 and ::, in
// any of the forms a browser resolves (127.1, 2130706433, 0x7f.0.0.1).
func thisMachine(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		var ok bool
		if a, ok = legacyIPv4(h); !ok {
			return false
		}
	}
	a = a.Unmap()
	return a.IsLoopback() || a.IsUnspecified()
}

// legacyIPv4 parses the IPv4 forms of the WHATWG URL standard that
// netip.ParseAddr does not: one to four parts, each decimal, octal (leading
// 0) or hex (0x), the last one filling the remaining bytes.
func legacyIPv4(h string) (netip.Addr, bool) {
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var n uint64
	for i, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if p == "" && base == 16 {
			v, err = 0, nil // "0x" is 0
		}
		if err != nil {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 {
			if v > 255 {
				return netip.Addr{}, false
			}
			n = n<<8 | v
			continue
		}
		rest := uint(4 - i) // bytes the last part fills
		if v >= 1<<(8*rest) {
			return netip.Addr{}, false
		}
		n = n<<(8*rest) | v
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

func strPtr(s string) *string { return &s }

// shown is a context value as an error message quotes it.
func shown(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}
