package devstack

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/httpapi"
)

// maxPayload is API Gateway HTTP API's request size limit (10 MB).
const maxPayload = 10 << 20

// Gateway is a local stand-in for API Gateway HTTP API.
type Gateway struct {
	functions map[string]httpapi.LambdaHandler
	routes    []httpapi.Route
	log       *slog.Logger
	now       func() time.Time
	// adminToken stands for API Gateway's IAM authorisation of the back
	// office's routes: only a request with "Authorization: Bearer
	// <adminToken>" reaches them ("" refuses every admin request).
	adminToken string
	// iam are the route keys that need IAM authorization (nil: the back
	// office's paths, httpapi.IsAdmin).
	iam map[string]bool
	// throttles are the stage's token buckets by route key (nil: none).
	throttles map[string]*bucket
	mu        sync.Mutex
	// cors is the API's CORS configuration (nil: none).
	cors *httpapi.CORS
}

// WithCORS makes the gateway answer browsers as API Gateway does with this
// CORS configuration: preflights answered without a route, every answer's
// CORS headers its own.
func (g *Gateway) WithCORS(c httpapi.CORS) *Gateway {
	g.cors = &c
	return g
}

// corsWriter sets the CORS headers just before the answer's status.
type corsWriter struct {
	http.ResponseWriter
	cors   httpapi.CORS
	origin string
	wrote  bool
}

func (w *corsWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		w.cors.Apply(w.Header(), w.origin)
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write without a status first answers 200, as net/http does.
func (w *corsWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// NewTemplateGateway serves the template's HTTP API: its routes, its CORS
// configuration, the routes it authorizes with IAM (where the admin token
// stands in) and, with
// throttle, its stage's throttling (per route, or the stage's default),
// answering 429 past it as API Gateway does. Tests that send bursts turn
// the throttles off, to measure the application, not the gateway.
func NewTemplateGateway(t Template, functions map[string]httpapi.LambdaHandler, log *slog.Logger, now func() time.Time, throttle bool) *Gateway {
	var routes []httpapi.Route
	g := &Gateway{functions: functions, log: log, now: now, iam: map[string]bool{}}
	for _, r := range t.Routes {
		routes = append(routes, httpapi.Route{Method: r.Method, Path: r.Path, Function: r.Function})
		g.iam[r.Method+" "+r.Path] = r.IAM
	}
	g.routes = routes
	g.cors = t.CORS
	if throttle {
		g.throttles = map[string]*bucket{}
		for _, r := range t.Routes {
			key := r.Method + " " + r.Path
			if th, ok := t.RouteThrottles[key]; ok {
				g.throttles[key] = newBucket(th)
			} else if t.DefaultThrottle != nil {
				g.throttles[key] = newBucket(*t.DefaultThrottle)
			}
		}
	}
	return g
}

// bucket is a token bucket: Burst tokens, refilled at Rate per second.
type bucket struct {
	th     Throttle
	tokens float64
	last   time.Time
}

func newBucket(th Throttle) *bucket { return &bucket{th: th, tokens: float64(th.Burst)} }

// take takes a token at now, or reports that none is left.
func (b *bucket) take(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(float64(b.th.Burst), b.tokens+now.Sub(b.last).Seconds()*b.th.Rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// throttled takes a token of the route's bucket.
func (g *Gateway) throttled(routeKey string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.throttles[routeKey]
	return ok && !b.take(time.Now())
}

// LocalOperator is the principal the local admin token stands for.
const LocalOperator = "local-admin"

// WithAdminToken makes the gateway enforce token on the back office's
// routes, exactly where API Gateway enforces IAM.
func (g *Gateway) WithAdminToken(token string) *Gateway {
	g.adminToken = token
	return g
}

// authorise checks a back-office request's admin token, as API Gateway's
// IAM authoriser checks a signature: missing → 401, wrong → 403, and the
// request does not reach the function.
func (g *Gateway) authorise(w http.ResponseWriter, r *http.Request) bool {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	status, code, detail := 0, "", ""
	switch {
	case tok == "" || !strings.EqualFold(scheme, "Bearer"):
		status, code, detail = http.StatusUnauthorized, "unauthenticated", "The back office needs the admin token (Authorization: Bearer …)."
	case g.adminToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(g.adminToken)) != 1:
		status, code, detail = http.StatusForbidden, "forbidden", "This admin token is not valid."
	default:
		return true
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "urn:problem:" + code, "title": http.StatusText(status),
		"status": status, "detail": detail, "code": code})
	return false
}

// NewGateway routes requests to functions by name, using routes (normally
// httpapi.Routes).
func NewGateway(routes []httpapi.Route, functions map[string]httpapi.LambdaHandler, log *slog.Logger, now func() time.Time) *Gateway {
	return &Gateway{functions: functions, routes: routes, log: log, now: now}
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.cors != nil {
		if httpapi.IsPreflight(r) {
			g.cors.Preflight(w, r)
			return
		}
		w = &corsWriter{ResponseWriter: w, cors: *g.cors, origin: r.Header.Get("Origin")}
	}
	fn, routeKey := g.match(r.Method, r.URL.Path)
	h, ok := g.functions[fn]
	if !ok {
		// API Gateway's own answer for a path no route matches.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Not Found"}`)
		return
	}
	if g.throttled(routeKey) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"message":"Too Many Requests"}`)
		return
	}
	// The template's IAM routes; and, for a method no route has, the
	// back office's paths all the same (the function answers 405).
	admin := g.iam[routeKey] || httpapi.IsAdmin(r.URL.Path)
	if admin && !g.authorise(w, r) {
		return
	}
	ev, err := g.event(r, routeKey)
	if err == nil && admin {
		// What API Gateway passes on from IAM; the token is not a session.
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: LocalOperator}}
		delete(ev.Headers, "authorization")
	}
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, `{"message":"Request Entity Too Large"}`)
		return
	}
	resp, err := h(r.Context(), ev)
	if errors.Is(err, ErrThrottled) {
		// Lambda's throttling, as API Gateway passes it on.
		g.log.Warn("function throttled", "function", fn)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"message":"Too Many Requests"}`)
		return
	}
	if err != nil {
		// A handler error is a Lambda invocation error; API Gateway answers
		// 500 without detail.
		g.log.Error("function failed", "function", fn, "error", err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"message":"Internal Server Error"}`)
		return
	}
	writeResponse(w, resp)
}

// match finds the function of a request. A path with routes but not for
// this method still goes to that path's function, which answers 405.
func (g *Gateway) match(method, path string) (function, routeKey string) {
	for _, rt := range g.routes {
		if _, ok := httpapi.MatchPath(rt.Path, path); ok && rt.Method == method {
			return rt.Function, rt.Method + " " + rt.Path
		}
	}
	for _, rt := range g.routes {
		if _, ok := httpapi.MatchPath(rt.Path, path); ok {
			return rt.Function, "$default"
		}
	}
	return "", ""
}

// event builds the payload 2.0 event API Gateway would send.
func (g *Gateway) event(r *http.Request, routeKey string) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, err
	}
	if len(body) > maxPayload {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("payload over %d bytes", maxPayload)
	}
	now := g.now()
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        r.URL.Path,
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID:  "000000000000",
			APIID:      "local",
			DomainName: r.Host,
			RequestID:  requestID(),
			RouteKey:   routeKey,
			Stage:      "$default",
			Time:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP(r.RemoteAddr),
				UserAgent: r.UserAgent(),
			},
		},
	}
	for name, values := range r.Header {
		lname := strings.ToLower(name)
		if lname == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[lname] = strings.Join(values, ",")
	}
	if r.Host != "" {
		ev.Headers["host"] = r.Host
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, v := range q {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev, nil
}

func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func sourceIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
