package devstack

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
