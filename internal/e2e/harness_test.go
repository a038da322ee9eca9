// Package e2e tests the whole system over HTTP: requests go through the
// local gateway (API Gateway payload 2.0 events) into the deployed Lambda
// handlers, which talk to DynamoDB Local and moto (SQS, SES) with the real
// SDK clients. Mail is read from moto's store of what SES accepted.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/app/mailapp"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/httpapi/contract"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/queue"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/sizing"
	"github.com/openreg/registration/internal/store"
	"github.com/openreg/registration/internal/store/storetest"
	"github.com/openreg/registration/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// spec is the OpenAPI document every response is checked against.
var spec = func() *contract.Spec {
	s, err := contract.Load()
	if err != nil {
		panic(err)
	}
	return s
}()

// stack is one configured system on its own table and queue.
type stack struct {
	t      testing.TB
	url    string
	client *http.Client
	sys    *app.System
	pipe   *devstack.Pipe
	poller *devstack.Poller
	// mailer is the mailer function's handler the poller invokes.
	mailer  devstack.SQSHandler
	mailbox *devstack.Mailbox
	// mailsBefore is how many mails moto held when the stack was built:
	// moto serves the whole test binary, and -count=20 runs the same
	// addresses again.
	mailsBefore int
	res         devstack.Resources
	// bus is the stack's event bus and the queue its rule feeds.
	bus      devstack.EventResources
	settings settings.Settings
	clock    *storetest.Clock
	clients  devstack.Clients
}

// adminToken is the test stacks' back-office token.
const adminToken = "test-admin-token"

// testSettings are the defaults with argon2 parameters cheap enough for
// tests (the production parameters are covered by benchmarks).
func testSettings() settings.Settings {
	s := settings.Default()
	s.PasswordHashing = password.Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1}
	s.URLs = settings.URLs{PublicAPI: "https://api.shop.example", Storefront: "https://shop.example", LoginPath: "/login"}
	s.MailFrom = "no-reply@shop.example"
	s.StoreName = "Test Shop"
	// Every test client is 127.0.0.1; the per-client caps have tests of
	// their own, which turn them on.
	s.ClientLimits = settings.ClientLimits{}
	return s
}

func newStack(t testing.TB, mutate func(*settings.Settings)) *stack {
	t.Helper()
	s := testSettings()
	if mutate != nil {
		mutate(&s)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("test settings: %v", err)
	}
	clients := testenv.Clients(t)
	res := setupResources(t, clients, s)
	if s.DeviceTrust.Secret == "" {
		// As the stack generates it: a secret in (moto's) Secrets Manager.
		s.DeviceTrust.Secret = "secretsmanager:" + res.DeviceKeys
	}
	return buildStack(t, s, clients, res)
}

// setupResources makes a stack's table and queue.
func setupResources(t testing.TB, clients devstack.Clients, s settings.Settings) devstack.Resources {
	t.Helper()
	res, err := devstack.Setup(context.Background(), clients.DynamoDB, clients.SQS, clients.SES, testenv.Name("table"), testenv.Name("mail"), s.MailFrom, 1)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if res.DeviceKeys, err = devstack.SetupDeviceKeys(context.Background(), clients.Secrets, testenv.Name("device-keys")); err != nil {
		t.Fatalf("setup: %v", err)
	}
	return res
}

// buildStack wires a system on existing resources.
func buildStack(t testing.TB, s settings.Settings, clients devstack.Clients, res devstack.Resources) *stack {
	return buildStackOn(t, s, clients, res, nil, true)
}

// buildStackOn wires a system on existing resources whose gateway serves
// on ln (nil: a port of its own), with Secure cookies or not.
func buildStackOn(t testing.TB, s settings.Settings, clients devstack.Clients, res devstack.Resources, ln net.Listener, secure bool) *stack {
	t.Helper()
	clk := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
	log := discardLog()
	rt := app.Runtime{Now: clk.Now, Random: rand.Reader, Log: log}
	cfg := config.Config{Table: res.Table, Settings: s, CookieSecure: secure}
	sys, err := app.NewSystem(cfg, app.Clients{DynamoDB: clients.DynamoDB, Secrets: clients.SecretSources()}, rt)
	if err != nil {
		t.Fatalf("wire system: %v", err)
	}
	consumer, err := mailapp.New(cfg, clients.DynamoDB, clients.SES, rt)
	if err != nil {
		t.Fatalf("wire mailer: %v", err)
	}
	consumer.HoldWith(queue.SQSHolder{Client: clients.SQS, QueueURL: res.QueueURL})
	functions := map[string]httpapi.LambdaHandler{}
	for _, r := range httpapi.Routes {
		// As in Lambda (and make dev): the function's timeout is each
		// invocation's deadline.
		functions[r.Function] = devstack.WithTimeout(sys.API.Handler(r.Function), time.Duration(sizing.TimeoutSeconds[r.Function])*time.Second)
	}
	srv := httptest.NewUnstartedServer(devstack.NewGateway(httpapi.Routes, functions, log, clk.Now).WithAdminToken(adminToken))
	if ln != nil {
		_ = srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(srv.Close)
	bus, err := devstack.SetupEvents(context.Background(), clients.Events, clients.SQS, testenv.Name("bus"))
	if err != nil {
		t.Fatalf("event bus: %v", err)
	}
	mailbox := devstack.NewMailbox(testenv.Stack(t).Moto)
	before, err := mailbox.Mails(context.Background())
	if err != nil {
		t.Fatalf("mailbox: %v", err)
	}
	return &stack{
		t: t, url: srv.URL, sys: sys, res: res, settings: s, clock: clk, clients: clients,
		client: &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		pipe:    devstack.NewPipe(clients.Streams, clients.SQS, res.Table, res.QueueURL, log).ToBus(clients.Events, bus.Bus),
		bus:     bus,
		mailer:  consumer.Handle,
		poller:  devstack.NewPoller(clients.SQS, res.QueueURL, res.QueueARN, consumer.Handle, log),
		mailbox: mailbox, mailsBefore: len(before),
	}
}

// response is a finished HTTP exchange.
type response struct {
	status  int
	header  http.Header
	body    []byte
	cookies []*http.Cookie
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return m
}

func (r response) code(t *testing.T) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, r.body)
	}
	c, _ := r.json(t)["code"].(string)
	return c
}

func (r response) cookie(name string) *http.Cookie {
	for _, c := range r.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// do sends a request; headers are "Name: value" strings.
func (s *stack) do(method, path, contentType string, body []byte, headers ...string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// Every answer of a documented operation must match the OpenAPI document.
	// (by the route's path template: /v1/cart/items/{sku}).
	if tmpl := routePath(method, req.URL.Path); spec.Has(method, tmpl) {
		if err := spec.Check(method, tmpl, resp.StatusCode, resp.Header.Get("Content-Type"), b); err != nil {
			s.t.Errorf("contract: %v\n%s", err, b)
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b, cookies: resp.Cookies()}
}

// routePath is the path template of the route a request path matches (the
// path itself when none does).
func routePath(method, path string) string {
	for _, rt := range httpapi.Routes {
		if _, ok := httpapi.MatchPath(rt.Path, path); ok && rt.Method == method {
			return rt.Path
		}
	}
	return path
}

func (s *stack) postJSON(path string, v any, headers ...string) response {
	s.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(http.MethodPost, path, "application/json", b, headers...)
}

func (s *stack) register(body map[string]any, headers ...string) response {
	s.t.Helper()
	return s.postJSON("/v1/customers", body, headers...)
}

func (s *stack) signIn(login, pw string, extra ...string) response {
	s.t.Helper()
	return s.postJSON("/v1/sessions", map[string]any{"login": login, "password": pw}, extra...)
}

// person returns a valid registration body for the default settings.
func person(email string) map[string]any {
	return map[string]any{"email": email, "password": "correct horse", "firstName": "Ada", "lastName": "Lovelace"}
}

// deliverMail carries the outbox to the queue (the Pipe's part) and runs
// the mailer, until both are empty (a job's mail may store more mail).
func (s *stack) deliverMail() {
	s.t.Helper()
	for i := 0; i < 20; i++ {
		piped, err := s.pipe.Once(context.Background())
		if err != nil {
			s.t.Fatalf("outbox pipe: %v", err)
		}
		n, err := s.poller.Once(context.Background(), 0)
		if err != nil {
			s.t.Fatalf("mail poller: %v", err)
		}
		if n == 0 && piped == 0 {
			return
		}
	}
	s.t.Fatal("mail queue did not drain")
}

// mailsTo returns the mails SES accepted for an address.
func (s *stack) mailsTo(addr string) []devstack.Mail {
	s.t.Helper()
	all, err := s.mailbox.Mails(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	all = all[min(s.mailsBefore, len(all)):]
	var out []devstack.Mail
	for _, m := range all {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// verificationToken delivers mail and returns the token of the newest
// verification link mailed to addr.
func (s *stack) verificationToken(addr string) string {
	s.t.Helper()
	s.deliverMail()
	mails := s.mailsTo(addr)
	for i := len(mails) - 1; i >= 0; i-- {
		for _, l := range mails[i].Links {
			if u, err := url.Parse(l); err == nil && u.Path == "/v1/verify-email" {
				return u.Query().Get("token")
			}
		}
	}
	s.t.Fatalf("no verification mail for %s (mails: %+v)", addr, mails)
	return ""
}

// customerByEmail reads the stored customer of an address.
func (s *stack) customerByEmail(addr string) (customer.Customer, bool) {
	s.t.Helper()
	ctx := context.Background()
	id, err := s.sys.Store.CustomerIDByEmail(ctx, customer.NormalizeLogin(addr))
	if err != nil {
		return customer.Customer{}, false
	}
	c, err := s.sys.Store.Customer(ctx, id)
	if err != nil {
		s.t.Fatalf("customer %s: %v", id, err)
	}
	return c, true
}

// items counts the items in the stack's table.
func (s *stack) items() int {
	s.t.Helper()
	out, err := s.clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.res.Table), Select: "COUNT"})
	if err != nil {
		s.t.Fatal(err)
	}
	return int(out.Count)
}

// outboxItems decodes every message an item in the stack's table carries to
// the mailer.
func (s *stack) outboxItems() []mail.Message {
	s.t.Helper()
	out, err := s.clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.res.Table),
		FilterExpression:         aws.String("attribute_exists(#message)"),
		ExpressionAttributeNames: map[string]string{"#message": store.AttrOutboxMessage},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	var msgs []mail.Message
	for _, it := range out.Items {
		body, _ := it[store.AttrOutboxMessage].(*types.AttributeValueMemberS)
		if body == nil {
			s.t.Fatalf("outbox item without a message: %v", it)
		}
		m, err := mail.Decode(body.Value)
		if err != nil {
			s.t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// discardLog keeps test output quiet unless -v is given.
func discardLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
