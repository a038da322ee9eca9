package devstack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/httpapi"
)

func TestGatewayBuildsPayloadTwoEvents(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	fn := func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = ev
		return events.APIGatewayV2HTTPResponse{
			StatusCode: 201,
			Headers:    map[string]string{"Content-Type": "application/json"},
			Cookies:    []string{"a=1; Path=/", "b=2; Path=/"},
			Body:       `{"ok":true}`,
		}, nil
	}
	routes := []httpapi.Route{{Method: "POST", Path: "/v1/things", Function: "things"}}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	gw := NewGateway(routes, map[string]httpapi.LambdaHandler{"things": fn}, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
	srv := httptest.NewServer(gw)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/things?x=1&x=2&y=3", strings.NewReader("\xff\xfe binary"))
	req.Header.Set("X-Custom", "v")
	req.Header.Add("Cookie", "cr_session=abc; cr_guest=g1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)

	t.Run("the event carries what API Gateway would send", func(t *testing.T) {
		checks := map[string][2]any{
			"version":         {got.Version, "2.0"},
			"routeKey":        {got.RouteKey, "POST /v1/things"},
			"rawPath":         {got.RawPath, "/v1/things"},
			"rawQueryString":  {got.RawQueryString, "x=1&x=2&y=3"},
			"query x":         {got.QueryStringParameters["x"], "1,2"},
			"custom header":   {got.Headers["x-custom"], "v"},
			"cookie header":   {got.Headers["cookie"], ""},
			"cookies":         {strings.Join(got.Cookies, "|"), "cr_session=abc|cr_guest=g1"},
			"method":          {got.RequestContext.HTTP.Method, "POST"},
			"source ip":       {got.RequestContext.HTTP.SourceIP, "127.0.0.1"},
			"stage":           {got.RequestContext.Stage, "$default"},
			"time epoch":      {got.RequestContext.TimeEpoch, now.UnixMilli()},
			"binary body b64": {got.IsBase64Encoded, true},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("%s = %v, want %v", name, c[0], c[1])
			}
		}
		if got.RequestContext.RequestID == "" {
			t.Error("no request id")
		}
	})
	t.Run("the response becomes an HTTP answer with one Set-Cookie per cookie", func(t *testing.T) {
		if resp.StatusCode != 201 || string(body) != `{"ok":true}` || len(resp.Header.Values("Set-Cookie")) != 2 {
			t.Errorf("got %d %s %v", resp.StatusCode, body, resp.Header)
		}
	})
	t.Run("an unrouted path gets API Gateway's 404", func(t *testing.T) {
		r, err := http.Get(srv.URL + "/nowhere")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 404 {
			t.Errorf("status = %d", r.StatusCode)
		}
	})
}

// TestTemplateGateway: the gateway routes, authorizes and throttles as the
// template's HTTP API does.
func TestTemplateGateway(t *testing.T) {
	ok := func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}
	tpl := Template{
		Routes: []APIRoute{
			{Method: "POST", Path: "/v1/things", Function: "things"},
			{Method: "GET", Path: "/v1/quiet", Function: "things"},
			{Method: "GET", Path: "/v1/ops/{id}", Function: "ops", IAM: true},
		},
		DefaultThrottle: &Throttle{Rate: 0.001, Burst: 5},
		RouteThrottles:  map[string]Throttle{"POST /v1/things": {Rate: 0.001, Burst: 2}},
	}
	functions := map[string]httpapi.LambdaHandler{"things": ok, "ops": ok}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	status := func(gw *Gateway, method, path string, header ...string) int {
		r := httptest.NewRequest(method, path, nil)
		if len(header) == 2 {
			r.Header.Set(header[0], header[1])
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		return w.Code
	}
	t.Run("a route past its burst gets 429 while the others still answer", func(t *testing.T) {
		gw := NewTemplateGateway(tpl, functions, log, time.Now, true)
		var got []int
		for range 3 {
			got = append(got, status(gw, "POST", "/v1/things"))
		}
		if got[0] != 200 || got[1] != 200 || got[2] != http.StatusTooManyRequests {
			t.Errorf("statuses = %v, want 200 200 429 (burst 2)", got)
		}
		if s := status(gw, "GET", "/v1/quiet"); s != 200 {
			t.Errorf("another route = %d, want 200 (its own bucket, the stage's default)", s)
		}
	})
	t.Run("with the throttles off a burst reaches the function", func(t *testing.T) {
		gw := NewTemplateGateway(tpl, functions, log, time.Now, false)
		for i := range 10 {
			if s := status(gw, "POST", "/v1/things"); s != 200 {
				t.Fatalf("request %d = %d", i, s)
			}
		}
	})
	t.Run("an IAM route needs the operator's credentials", func(t *testing.T) {
		gw := NewTemplateGateway(tpl, functions, log, time.Now, false).WithAdminToken("tok")
		if s := status(gw, "GET", "/v1/ops/1"); s != http.StatusUnauthorized {
			t.Errorf("without a token = %d, want 401", s)
		}
		if s := status(gw, "GET", "/v1/ops/1", "Authorization", "Bearer tok"); s != 200 {
			t.Errorf("with the token = %d, want 200", s)
		}
	})
	t.Run("a path the template does not route gets API Gateway's 404", func(t *testing.T) {
		gw := NewTemplateGateway(tpl, functions, log, time.Now, false)
		if s := status(gw, "GET", "/v1/elsewhere"); s != http.StatusNotFound {
			t.Errorf("status = %d", s)
		}
	})
}

func TestBucketRefills(t *testing.T) {
	b := newBucket(Throttle{Rate: 10, Burst: 1})
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if !b.take(t0) || b.take(t0) {
		t.Fatal("a bucket of one gives one token")
	}
	if b.take(t0.Add(50 * time.Millisecond)) {
		t.Error("half a token after 50 ms at 10/s")
	}
	if !b.take(t0.Add(110 * time.Millisecond)) {
		t.Error("a whole token after 110 ms at 10/s")
	}
}

// TestGatewayCORS: browsers get what API Gateway's HTTP API answers with a
// CORS configuration: preflights answered without a route, an allowed
// origin echoed with credentials, nothing for any other origin, the
// function's own CORS headers ignored.
func TestGatewayCORS(t *testing.T) {
	fn := func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Access-Control-Allow-Origin": "*"}, Body: "{}"}, nil
	}
	cors := httpapi.CORS{AllowOrigins: []string{"http://shop.localhost:3000"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"content-type"}, ExposeHeaders: []string{"retry-after"}, MaxAge: time.Hour}
	gw := NewGateway([]httpapi.Route{{Method: "POST", Path: "/v1/things", Function: "things"}},
		map[string]httpapi.LambdaHandler{"things": fn}, slog.New(slog.DiscardHandler), time.Now).WithCORS(cors)
	answer := func(method, origin string, preflight bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/v1/things", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if preflight {
			r.Header.Set("Access-Control-Request-Method", "POST")
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		return w
	}
	tests := []struct {
		name                 string
		method, origin       string
		preflight            bool
		status               int
		allowOrigin, methods string
		credentials, exposed string
		maxAge               string
	}{
		{"a preflight from an allowed origin is answered without a route", "OPTIONS", "http://shop.localhost:3000", true, 204,
			"http://shop.localhost:3000", "GET,POST", "true", "", "3600"},
		{"a preflight from another origin gets no CORS headers", "OPTIONS", "https://evil.example", true, 204, "", "", "", "", ""},
		{"an allowed origin's request is answered with its origin echoed", "POST", "http://shop.localhost:3000", false, 200,
			"http://shop.localhost:3000", "", "true", "retry-after", ""},
		{"another origin's request is answered without CORS headers, even the function's own", "POST", "https://evil.example", false, 200, "", "", "", "", ""},
		{"a request from no browser is answered as it is", "POST", "", false, 200, "", "", "", "", ""},
		{"an OPTIONS that is no preflight goes to the routes", "OPTIONS", "http://shop.localhost:3000", false, 200,
			"http://shop.localhost:3000", "", "true", "retry-after", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := answer(tt.method, tt.origin, tt.preflight)
			h := w.Header()
			got := []string{fmt.Sprint(w.Code), h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"),
				h.Get("Access-Control-Allow-Credentials"), h.Get("Access-Control-Expose-Headers"), h.Get("Access-Control-Max-Age")}
			want := []string{fmt.Sprint(tt.status), tt.allowOrigin, tt.methods, tt.credentials, tt.exposed, tt.maxAge}
			if !slices.Equal(got, want) {
				t.Errorf("status, origin, methods, credentials, exposed, max age = %q, want %q", got, want)
			}
			if h.Get("Vary") != "Origin" {
				t.Errorf("Vary = %q, want Origin", h.Get("Vary"))
			}
		})
	}
}
