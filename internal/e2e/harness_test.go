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
	"strconv"
	"strings"
	"sync"
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
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/httpapi/contract"
	"github.com/openreg/registration/internal/outbox"
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

// stack is one configured system on its own table and queues.
type stack struct {
	t      testing.TB
	url    string
	client *http.Client
	// sys is the system wired with the tests' own clients, to inspect the
	// store (and, for the tests that swap a client, to serve).
	sys *app.System
	// db is the stack's DynamoDB store, read with the tests' own clients.
	db *store.Store
	// functions are the HTTP functions the gateway invokes.
	functions map[string]httpapi.LambdaHandler
	pipe      devstack.Pipes
	poller    *devstack.Poller
	// mailer is the mailer function's handler the poller invokes.
	mailer  devstack.SQSHandler
	mailbox *devstack.Mailbox
	// mailsBefore is how many mails moto held when the stack was built:
	// moto serves the whole test binary, and -count=20 runs the same
	// addresses again.
	mailsBefore int
	local       *devstack.Local
	// awsLog is what the enforcing layer and the Pipes logged.
	awsLog *syncBuffer
	res    devstack.Resources
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

// newStack is the synthesized template on the emulators, its functions
// wired in this process each from its own template environment and with
// its own role (every AWS call checked against the template's policies),
// with settings s mutated.
func newStack(t testing.TB, mutate func(*settings.Settings)) *stack {
	t.Helper()
	return newStackOn(t, mutate, template(t), nil, true)
}

// newStackOn is newStack on a given template (a mutated copy), its
// gateway serving on ln (nil: a port of its own), with Secure cookies or
// not.
func newStackOn(t testing.TB, mutate func(*settings.Settings), tpl devstack.Template, ln net.Listener, secure bool) *stack {
	t.Helper()
	s := testSettings()
	if mutate != nil {
		mutate(&s)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("test settings: %v", err)
	}
	clients := testenv.Clients(t)
	local, logs := upLocal(t, clients, tpl)
	clk := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
	log := discardLog()
	doc, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	wired, err := local.InProcess(functions.Mailer, map[string]string{config.EnvSettings: string(doc), config.EnvSettingsFile: "", config.EnvCookieSecure: strconv.FormatBool(secure)},
		app.Runtime{Now: clk.Now, Random: rand.Reader, Log: log})
	if err != nil {
		t.Fatalf("wire the functions: %v", err)
	}
	st := finishStack(t, s, clients, local, wired, ln, clk)
	st.awsLog = logs
	return st
}

// upLocal provisions a template's resources under fresh names and starts
// its enforcing layer.
func upLocal(t testing.TB, clients devstack.Clients, tpl devstack.Template) (*devstack.Local, *syncBuffer) {
	t.Helper()
	emu := testenv.Stack(t)
	return upLocalVia(t, clients, tpl, emu.DynamoDB, emu.Moto)
}

// syncBuffer keeps what the local stack's plumbing (the enforcing layer,
// the Pipes) logged, for the tests that read its denials.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// upLocalVia is upLocal with the enforcing layer forwarding to the given
// DynamoDB and moto addresses (proxies that inject faults).
func upLocalVia(t testing.TB, clients devstack.Clients, tpl devstack.Template, dynamoURL, motoURL string) (*devstack.Local, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	local, err := devstack.Up(context.Background(), clients, tpl, devstack.LocalOptions{
		// Failed mail is seen again after a second, not three minutes.
		Provision: devstack.ProvisionOptions{Prefix: testenv.Name("s"), VisibilitySeconds: 1, MailFunction: functions.Mailer},
		DynamoDB:  dynamoURL, Moto: motoURL, Log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("local stack from the template: %v", err)
	}
	t.Cleanup(local.Close)
	return local, logs
}

// buildStack wires every function as one system on given clients (the
// tests' own, unchecked), on an existing stack's resources: for the tests
// that swap a client (to count its calls, to make it fail).
func buildStack(t testing.TB, s settings.Settings, clients devstack.Clients, local *devstack.Local) *stack {
	t.Helper()
	clk := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
	log := discardLog()
	rt := app.Runtime{Now: clk.Now, Random: rand.Reader, Log: log}
	if s.DeviceTrust.Secret == "" {
		s.DeviceTrust.Secret = settings.SecretSecretsManager + ":" + local.Resources.DeviceKeys
	}
	cfg := config.Config{Table: local.Resources.Table, Settings: s, CookieSecure: true,
		CodeKeys: settings.SecretSecretsManager + ":" + local.Resources.CodeKeys}
	sys, err := app.NewSystem(cfg, app.NewStore(cfg, clients.DynamoDB, rt), app.Clients{Secrets: clients.SecretSources()}, rt)
	if err != nil {
		t.Fatalf("wire system: %v", err)
	}
	consumer, err := mailapp.New(cfg, clients.DynamoDB, clients.SES, clients.SecretSources(), rt)
	if err != nil {
		t.Fatalf("wire mailer: %v", err)
	}
	consumer.HoldWith(queue.SQSHolder{Client: clients.SQS, QueueURL: local.Resources.QueueURL})
	wired := devstack.Wired{HTTP: map[string]httpapi.LambdaHandler{}, Mailer: consumer.Handle}
	for _, r := range httpapi.Routes {
		wired.HTTP[r.Function] = devstack.WithTimeout(sys.API.Handler(r.Function), time.Duration(sizing.TimeoutSeconds[r.Function])*time.Second)
	}
	st := finishStack(t, s, clients, local, wired, nil, clk)
	st.sys = sys
	return st
}

// finishStack serves the functions behind the gateway and builds the
// stack's mail path (the template's Pipes and event source mapping).
func finishStack(t testing.TB, s settings.Settings, clients devstack.Clients, local *devstack.Local, wired devstack.Wired, ln net.Listener, clk *storetest.Clock) *stack {
	t.Helper()
	log := discardLog()
	// The template's routes and IAM routes; its throttles off (the tests
	// send bursts to measure the application).
	srv := httptest.NewUnstartedServer(devstack.NewTemplateGateway(local.Template, wired.HTTP, log, clk.Now, false).WithAdminToken(adminToken).
		WithCORS(httpapi.CORSPolicy(s.URLs)))
	if ln != nil {
		_ = srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(srv.Close)
	bus, err := devstack.SetupEvents(context.Background(), clients.Events, clients.SQS, local.Resources.Bus)
	if err != nil {
		t.Fatalf("event bus: %v", err)
	}
	mailbox := devstack.NewMailbox(testenv.Stack(t).Moto)
	before, err := mailbox.Mails(context.Background())
	if err != nil {
		t.Fatalf("mailbox: %v", err)
	}
	poller, err := local.Poller(functions.Mailer, wired.Mailer, log)
	if err != nil {
		t.Fatal(err)
	}
	// The tests' view of the store, unchecked.
	inspect := s
	inspect.DeviceTrust.Secret = ""
	cfg := config.Config{Table: local.Resources.Table, Settings: inspect}
	rt := app.Runtime{Now: clk.Now, Random: rand.Reader, Log: log}
	db := app.NewStore(cfg, clients.DynamoDB, rt)
	sys, err := app.NewSystem(cfg, db, app.Clients{Secrets: clients.SecretSources()}, rt)
	if err != nil {
		t.Fatalf("wire the inspecting system: %v", err)
	}
	return &stack{
		t: t, url: srv.URL, sys: sys, db: db, functions: wired.HTTP, local: local, res: local.Resources, settings: s, clock: clk, clients: clients,
		client: &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		pipe:    local.Pipes,
		bus:     bus,
		mailer:  wired.Mailer,
		poller:  poller,
		mailbox: mailbox, mailsBefore: len(before),
	}
}

// outboxPipe is the template's Pipe whose target is the mail queue.
func (s *stack) outboxPipe() devstack.PipeDef {
	s.t.Helper()
	for _, p := range s.local.Template.Pipes {
		if target, err := s.res.Locals.String(p.Target); err == nil && target == s.res.QueueARN {
			return p
		}
	}
	s.t.Fatal("the template has no Pipe to the mail queue")
	return devstack.PipeDef{}
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

// atOnce makes n calls at the same time and returns their statuses in
// call order.
func atOnce(n int, call func(i int) response) []int {
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = call(i).status })
	}
	wg.Wait()
	return statuses
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
func (s *stack) outboxItems() []outbox.Message {
	s.t.Helper()
	out, err := s.clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.res.Table),
		FilterExpression:         aws.String("attribute_exists(#message)"),
		ExpressionAttributeNames: map[string]string{"#message": store.AttrOutboxMessage},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	var msgs []outbox.Message
	for _, it := range out.Items {
		body, _ := it[store.AttrOutboxMessage].(*types.AttributeValueMemberS)
		if body == nil {
			s.t.Fatalf("outbox item without a message: %v", it)
		}
		m, err := mailapp.Registry(mailapp.Jobs{}).Decode(body.Value)
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
