// Command local runs the whole system on this machine: DynamoDB Local and
// moto on 127.0.0.1, the table, queues and SES identity, a gateway serving the
// HTTP contract, the stream-to-queue pipe, the mail poller and a mailbox page.
// `make dev` runs it.
//
// With -lambda=inprocess (the default) the gateway calls the Lambda handlers
// in this process. With -lambda=rie each function runs as its real bootstrap
// under AWS's Runtime Interface Emulator, with the environment, timeout and
// memory size of the synthesized template (`make dev LAMBDA=rie`). With
// -invoke it runs one function once on a sample event and prints what it
// answered and logged (`make invoke`).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/emulator"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/settings"
)

type options struct {
	addr, settingsFile   string
	adminTokenFile       string
	dynamoPort, motoPort int
	lambda, bin          string
	invoke, event        string
	template             string
	throttle             bool
	// prefix names the resources the stack creates in the emulators
	// ("local": local-Table, …).
	prefix string
}

func main() {
	o := options{prefix: "local"}
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address of the local API (loopback only)")
	flag.StringVar(&o.settingsFile, "settings", "infra/local/settings.json", "registration settings document")
	flag.StringVar(&o.adminTokenFile, "admin-token-file", ".tools/admin-token", "where the back office's admin token of this run is written")
	flag.IntVar(&o.dynamoPort, "dynamodb-port", 8000, "DynamoDB Local port (0 = any free port)")
	flag.IntVar(&o.motoPort, "moto-port", 5000, "moto port (0 = any free port)")
	flag.StringVar(&o.lambda, "lambda", "inprocess", "how functions run: inprocess, or rie (their bootstraps under the Runtime Interface Emulator)")
	flag.StringVar(&o.bin, "bin", "bin/host", "where the bootstraps built for this machine are (<bin>/<function>/bootstrap), for -lambda=rie and -invoke")
	flag.StringVar(&o.invoke, "invoke", "", "run this function once under the emulator on -event, print its answer and logs, and exit")
	flag.StringVar(&o.event, "event", "", "the event file for -invoke")
	flag.BoolVar(&o.throttle, "throttle", true, "throttle each route as the template's API stage does (429 past its rate and burst); false measures the application alone")
	flag.StringVar(&o.template, "template", devstack.TemplatePath, "the synthesized CloudFormation template the local stack runs (make synth writes it)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if host, _, err := net.SplitHostPort(o.addr); err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("-addr %q must be a loopback address such as 127.0.0.1:8080", o.addr)
	}
	if o.lambda != "inprocess" && o.lambda != "rie" {
		return fmt.Errorf("-lambda must be inprocess or rie, not %q", o.lambda)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	fmt.Fprintln(os.Stderr, "starting DynamoDB Local and moto ...")
	dynamoPort, motoPort := o.dynamoPort, o.motoPort
	if o.invoke != "" {
		dynamoPort, motoPort = 0, 0 // beside a running `make dev`
	}
	emu, err := emulator.Start(ctx, emulator.Options{DynamoDBPort: dynamoPort, MotoPort: motoPort, LogDir: os.TempDir()})
	if err != nil {
		return err
	}
	defer emu.Stop()
	// The developer's own clients find the emulators through the standard
	// SDK settings; each function gets its own environment (Local.Env).
	for k, v := range emu.Env() {
		os.Setenv(k, v)
	}
	st, err := up(ctx, o, emu, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.invoke != "" {
		return invoke(ctx, st.runtimes[o.invoke], o.event)
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: st.handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprint(os.Stderr, st.banner("http://"+ln.Addr().String()))
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// localStack is what `make dev` serves: the template's resources on the
// emulators, its functions wired (or their bootstraps under the RIE), the
// Pipes, the mailer's event source mapping and the events page running in
// the background until Close, and the gateway with the local pages. The
// walk-through test (walkthrough_test.go) starts the same.
type localStack struct {
	handler http.Handler
	// runtimes are the functions under the RIE (with -lambda=rie or
	// -invoke; with -invoke, nothing else is set up).
	runtimes devstack.Runtimes
	banner   func(base string) string

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func()
}

// Close stops the background loops, then the runtimes and the enforcing
// layer.
func (s *localStack) Close() {
	s.cancel()
	s.wg.Wait()
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// up starts the local stack on running emulators whose settings are in the
// environment.
func up(parent context.Context, o options, emu *emulator.Stack, log *slog.Logger) (st *localStack, err error) {
	ctx, cancel := context.WithCancel(parent)
	st = &localStack{cancel: cancel}
	defer func() {
		if err != nil {
			st.Close()
			st = nil
		}
	}()
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return st, err
	}
	// The developer's own clients (the mailbox, the events page): not a
	// principal of the template, so not checked.
	clients := devstack.NewClients(awsCfg)
	tpl, err := devstack.LoadTemplate(o.template)
	if err != nil {
		return st, err
	}
	if o.invoke != "" {
		f, ok := tpl.Functions[o.invoke]
		if !ok {
			return st, fmt.Errorf("no function %q in the template", o.invoke)
		}
		tpl.Functions = map[string]devstack.Function{o.invoke: f}
	}
	// The template's resources, created in the emulators, and the layer
	// that enforces its roles on every call the functions and Pipes make.
	local, err := devstack.Up(ctx, clients, tpl, devstack.LocalOptions{
		Provision: devstack.ProvisionOptions{Prefix: o.prefix, MailFunction: functions.Mailer},
		DynamoDB:  emu.DynamoDB, Moto: emu.Moto, Log: log,
	})
	if err != nil {
		return st, err
	}
	st.closers = append(st.closers, local.Close)
	res := local.Resources
	bus, err := devstack.SetupEvents(ctx, clients.Events, clients.SQS, res.Bus)
	if err != nil {
		return st, err
	}
	// Over each function's template environment: the local settings (their
	// URLs point here, which a deployable template's may not) in place of
	// the settings file the template ships, and plain-HTTP cookies.
	doc, err := os.ReadFile(o.settingsFile)
	if err != nil {
		return st, err
	}
	localSettings, err := settings.Parse(doc)
	if err != nil {
		return st, fmt.Errorf("%s: %w", o.settingsFile, err)
	}
	overrides := map[string]string{config.EnvSettings: string(doc), config.EnvSettingsFile: "", config.EnvCookieSecure: "false"}
	keys, err := serverKeys(localSettings)
	if err != nil {
		return st, err
	}

	var handlers map[string]httpapi.LambdaHandler
	var mailer devstack.SQSHandler
	var invoke devstack.Invoker
	if o.lambda == "rie" || o.invoke != "" {
		rs, err := devstack.StartRuntimes(ctx, tpl, devstack.RIEPath, o.bin, res.Locals, overrides, local.Access, log)
		if err != nil {
			return st, err
		}
		st.runtimes = rs
		st.closers = append(st.closers, rs.Stop)
		if o.invoke != "" {
			return st, nil
		}
		m, ok := rs[functions.Mailer]
		if !ok {
			return st, fmt.Errorf("the template has no %s function", functions.Mailer)
		}
		handlers, mailer, invoke = rs.HTTP(), m.SQS(), rs.Invoke
	} else {
		rt := app.Production(slog.LevelInfo)
		rt.Log = log
		wired, err := local.InProcess(functions.Mailer, overrides, rt)
		if err != nil {
			return st, err
		}
		handlers, mailer, invoke = wired.HTTP, wired.Mailer, wired.Invoke
	}
	poller, err := local.Poller(functions.Mailer, mailer, log)
	if err != nil {
		return st, err
	}
	mux := http.NewServeMux()
	adminToken, err := newAdminToken(o.adminTokenFile)
	if err != nil {
		return st, err
	}
	// CORS as the template would configure it for the local settings'
	// storefront and origins.
	mux.Handle("/", devstack.NewTemplateGateway(tpl, handlers, log, time.Now, o.throttle).WithAdminToken(adminToken).
		WithCORS(httpapi.CORSPolicy(localSettings.URLs)))
	mailbox := devstack.NewMailbox(emu.Moto)
	// SES's mailbox simulator: a mail to bounce@ or
	// complaint@simulator.amazonses.com comes back as SES's event, through
	// the template's rule, to ses-events.
	feedback, err := devstack.NewSESFeedback(tpl, mailbox, invoke, time.Now, log)
	if err != nil {
		return st, err
	}
	mux.Handle("/_local/mailbox", mailbox)
	mux.Handle("/_local/mailbox.json", mailbox)
	events := devstack.NewEventLog(clients.SQS, bus.QueueURL, 200, log)
	mux.Handle("/_local/events", events)
	mux.Handle("/_local/events.json", events)
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		// Stands in for the storefront's login page the confirm page
		// redirects to.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Storefront login page (local stand-in). Query: %s\n", r.URL.RawQuery)
	})
	st.handler = mux

	// The events page's queue every second; SES's simulated feedback every
	// 500 ms; the template's event source mapping and Pipes (the stream to
	// the mail queue and to the event bus) every 200 ms.
	st.wg.Add(4)
	go func() { defer st.wg.Done(); events.Run(ctx, time.Second) }()
	go func() { defer st.wg.Done(); feedback.Run(ctx, 500*time.Millisecond) }()
	go func() { defer st.wg.Done(); poller.Run(ctx) }()
	go func() { defer st.wg.Done(); local.Pipes.Run(ctx, 200*time.Millisecond, log) }()

	st.banner = func(base string) string {
		return fmt.Sprintf(`
Local stack is up (functions: %s).
  API:             %s   (routes: %s)
  Mailbox:         %s/_local/mailbox
  Events:          %s/_local/events   (bus %s)
  Back office:     Authorization: Bearer %s   (also in %s)
  DynamoDB Local:  %s   (table %s)
  moto (SQS, SES): %s   (queue %s)
  IAM enforcement: %s   (each function's and Pipe's role from %s)
%s
  Walk-throughs:   API=%s infra/local/walkthroughs/01-register-confirm-signin.sh (and the others there)
Press Ctrl-C to stop.
`, o.lambda, base, routeList(tpl), base, base, bus.Bus, adminToken, o.adminTokenFile, emu.DynamoDB, res.Table, emu.Moto, res.QueueURL, local.Endpoint, o.template, keys, base)
	}
	return st, nil
}

// invoke runs one function once on an event file and prints its answer and
// what it logged, as `sam local invoke` does.
func invoke(ctx context.Context, r *devstack.Pool, eventFile string) error {
	if eventFile == "" {
		return errors.New("-invoke needs -event, a file under events/")
	}
	payload, err := os.ReadFile(eventFile)
	if err != nil {
		return err
	}
	out, err := r.Invoke(ctx, payload)
	fmt.Fprintf(os.Stderr, "--- %s logs\n%s", r.Function.Name, r.Output())
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

func routeList(tpl devstack.Template) string {
	var parts []string
	for _, r := range tpl.Routes {
		parts = append(parts, r.Method+" "+r.Path)
	}
	return strings.Join(parts, ", ")
}

// newAdminToken makes the local back office's admin token (random, for this
// run) and writes it to file (readable by the developer only), as the local
// stand-in for the IAM authority the deployed back office needs.
func newAdminToken(file string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return "", err
	}
	return tok, os.WriteFile(file, []byte(tok+"\n"), 0o600)
}

// serverKeys makes, where missing, the files the local settings' server
// storefront keys name (file:…), each a random key kept across runs, and
// describes them for the banner.
func serverKeys(s settings.Settings) (string, error) {
	var lines []string
	for _, k := range s.ServerKeys {
		scheme, file := k.SecretRef()
		if scheme != settings.SecretFile {
			continue
		}
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			if _, err := newAdminToken(file); err != nil {
				return "", err
			}
		}
		key, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		lines = append(lines, fmt.Sprintf("  Server storefront: X-Storefront-Key: %s   (key %s, in %s)", strings.TrimSpace(string(key)), k.ID, file))
	}
	return strings.Join(lines, "\n"), nil
}
