// Package devstack runs the system on one machine the way AWS runs it: a
// gateway that turns each HTTP request into the API Gateway payload 2.0
// event and calls the very Lambda handler that is deployed, a poller that
// feeds SQS batches to the mailer handler, and a mailbox page that shows the
// mails SES (moto) accepted.
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
	fn, routeKey := g.match(r.Method, r.URL.Path)
	h, ok := g.functions[fn]
	if !ok {
		// API Gateway's own answer for a path no route matches.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Not Found"}`)
		return
	}
	admin := httpapi.IsAdmin(r.URL.Path)
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
