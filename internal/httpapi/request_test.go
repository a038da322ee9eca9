package httpapi

import (
	"encoding/base64"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/openreg/registration/internal/testenv/golden"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/apperr"
)

func TestEveryCodeHasAStatus(t *testing.T) {
	codes := []apperr.Code{
		apperr.Validation, apperr.MalformedBody, apperr.UnknownField, apperr.PayloadTooLarge,
		apperr.UnsupportedMediaType, apperr.NotFound, apperr.MethodNotAllowed, apperr.RegistrationDisabled,
		apperr.EmailTaken, apperr.UsernameTaken, apperr.TokenInvalid, apperr.TokenExpired,
		apperr.InvalidCredentials, apperr.EmailNotVerified, apperr.PendingApproval, apperr.LockedOut,
		apperr.Unauthenticated, apperr.Unavailable, apperr.Internal,
		apperr.TokenReplaced, apperr.PasswordMismatch, apperr.TooManyRequests,
		apperr.ImpersonationForbidden, apperr.Forbidden, apperr.InvalidState, apperr.CustomerNotFound,
		apperr.CrossSiteRequest, apperr.InvalidBody, apperr.InvalidStorefrontKey, apperr.InvalidShopperAddress,
		apperr.CodeInvalid, apperr.InvalidCredential, apperr.DisposableEmail, apperr.EmailDomainUnreachable,
	}
	if len(codes) != len(statusOf) {
		t.Errorf("the table maps %d codes, the test knows %d: keep them in step", len(statusOf), len(codes))
	}
	for _, c := range codes {
		if _, ok := statusOf[c]; !ok {
			t.Errorf("code %s has no HTTP status", c)
		}
	}
	if got := StatusOf("something_new"); got != http.StatusInternalServerError {
		t.Errorf("unknown code maps to %d, want 500", got)
	}
}

func TestDecodeStrict(t *testing.T) {
	type body struct {
		Name  string               `json:"name"`
		Ok    bool                 `json:"ok"`
		Tags  []string             `json:"tags"`
		Attrs map[string]attrValue `json:"attrs"`
		Maybe *string              `json:"maybe"`
	}
	tests := []struct {
		name      string
		in        string
		wantCode  apperr.Code
		wantField string
	}{
		{"accepts a well-formed object", `{"name":"a","ok":true,"tags":["x"],"attrs":{"a":"b","c":true}}`, "", ""},
		{"refuses broken JSON", `{"name":`, apperr.MalformedBody, ""},
		{"refuses an empty body", ``, apperr.MalformedBody, ""},
		{"refuses a top-level array", `[]`, apperr.MalformedBody, ""},
		{"refuses a second document", `{}{}`, apperr.MalformedBody, ""},
		{"refuses trailing garbage", `{} x`, apperr.MalformedBody, ""},
		{"names an unknown field", `{"nme":"a"}`, apperr.UnknownField, "nme"},
		{"names a field of the wrong type", `{"ok":"yes"}`, apperr.Validation, "ok"},
		{"names a nested field of the wrong type", `{"tags":[1]}`, apperr.Validation, "tags"},
		{"refuses an attribute that is neither string nor boolean", `{"attrs":{"a":[1]}}`, apperr.Validation, "attributes"},
		{"refuses null for a string (it would pass for a missing value)", `{"name":null}`, apperr.Validation, "name"},
		{"refuses null for a list", `{"ok":true,"tags":null}`, apperr.Validation, "tags"},
		{"refuses a key in other letter case than its field's", `{"NAME":"a"}`, apperr.InvalidBody, "NAME"},
		{"refuses a key twice", `{"name":"a","name":"b"}`, apperr.InvalidBody, "name"},
		{"refuses a key and its case variant", `{"name":"a","Name":"b"}`, apperr.InvalidBody, "Name"},
		{"refuses a key twice in a nested map", `{"attrs":{"a":"x","a":"y"}}`, apperr.InvalidBody, "a"},
		{"tells map keys of other case apart (they are ids, not fields)", `{"attrs":{"a":"x","A":"y","c":true}}`, "", ""},
		{"accepts every field once, in any order", `{"tags":[],"attrs":{"c":true},"ok":true,"name":"n","maybe":"m"}`, "", ""},
		{"takes null for a nullable field, as absent", `{"maybe":null,"attrs":{"c":true}}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			err := decodeStrict([]byte(tt.in), &b)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if b.Attrs["c"] != "true" {
					t.Errorf("boolean attribute = %q, want \"true\"", b.Attrs["c"])
				}
				return
			}
			e := apperr.As(err)
			if e.Code != tt.wantCode {
				t.Fatalf("code = %s (%v), want %s", e.Code, err, tt.wantCode)
			}
			if tt.wantField != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tt.wantField) {
				t.Errorf("fields = %+v, want %s", e.Fields, tt.wantField)
			}
		})
	}
}

func TestRequestParsing(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{
		RawPath:        "/v1/x",
		RawQueryString: "token=abc&x=1",
		Headers: map[string]string{
			"Accept-Language": "fr-CH, fr;q=0.9, de;q=0.95, *;q=0.5, en;q=0",
			"Content-Type":    "application/merge-patch+json; charset=utf-8",
		},
		Cookies:         []string{"cr_session=cookie-token", "other=1", "cr_session=second"},
		Body:            base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)),
		IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "rid",
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "203.0.113.9"},
		},
	}
	r := newRequest(ev)

	t.Run("orders languages by quality and drops q=0 and *", func(t *testing.T) {
		if got, want := r.Languages(), []string{"fr-CH", "de", "fr"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Languages() = %v, want %v", got, want)
		}
	})
	t.Run("takes the first session cookie", func(t *testing.T) {
		if got := r.SessionToken(); got != "cookie-token" {
			t.Errorf("SessionToken() = %q", got)
		}
	})
	t.Run("prefers a bearer token over the cookie", func(t *testing.T) {
		r2 := newRequest(ev)
		r2.Headers["authorization"] = "bearer  header-token "
		if got := r2.SessionToken(); got != "header-token" {
			t.Errorf("SessionToken() = %q", got)
		}
		r2.Headers["authorization"] = "Basic dXNlcjpwYXNz"
		if got := r2.SessionToken(); got != "cookie-token" {
			t.Errorf("a Basic header replaced the cookie: %q", got)
		}
	})
	t.Run("decodes a base64 body and treats +json as JSON", func(t *testing.T) {
		var v map[string]int
		if err := r.decodeJSON(&v); err != nil || v["a"] != 1 {
			t.Errorf("decodeJSON = %v, %v", v, err)
		}
	})
	t.Run("refuses a body that is not base64 when flagged so", func(t *testing.T) {
		bad := ev
		bad.Body = "%%%"
		var v map[string]int
		if code := apperr.CodeOf(newRequest(bad).decodeJSON(&v)); code != apperr.MalformedBody {
			t.Errorf("code = %s", code)
		}
	})
	t.Run("refuses a body over the limit before parsing it", func(t *testing.T) {
		big := ev
		big.IsBase64Encoded = false
		big.Body = `{"a":"` + strings.Repeat("x", MaxBody) + `"}`
		var v map[string]string
		if code := apperr.CodeOf(newRequest(big).decodeJSON(&v)); code != apperr.PayloadTooLarge {
			t.Errorf("code = %s", code)
		}
	})
}

func TestRetryAfterIsWholeSeconds(t *testing.T) {
	for d, want := range map[float64]string{0.2: "1", 1.4: "1", 1.6: "2", 1800: "1800"} {
		if got := retryAfter(secs(d)); got != want {
			t.Errorf("retryAfter(%vs) = %s, want %s", d, got, want)
		}
	}
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// golden compares got with testdata/<name>.golden (go test -update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, ""+name, got)
}
