// Command local runs the whole system on this machine: DynamoDB Local and
// moto on 127.0.0.1, the table, queues and SES identity, a gateway serving the
// HTTP contract through the real Lambda handlers, the stream-to-queue pipe,
// the mail poller and a mailbox page. `make dev` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/app/mailapp"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/emulator"
	"github.com/openreg/registration/internal/httpapi"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address of the local API (loopback only)")
	settingsFile := flag.String("settings", "infra/local/settings.json", "registration settings document")
	dynamoPort := flag.Int("dynamodb-port", 8000, "DynamoDB Local port (0 = any free port)")
	motoPort := flag.Int("moto-port", 5000, "moto port (0 = any free port)")
	flag.Parse()
	if err := run(*addr, *settingsFile, *dynamoPort, *motoPort); err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
}

func run(addr, settingsFile string, dynamoPort, motoPort int) error {
	if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("-addr %q must be a loopback address such as 127.0.0.1:8080", addr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	fmt.Fprintln(os.Stderr, "starting DynamoDB Local and moto ...")
	emu, err := emulator.Start(ctx, emulator.Options{DynamoDBPort: dynamoPort, MotoPort: motoPort, LogDir: os.TempDir()})
	if err != nil {
		return err
	}
	defer emu.Stop()
	// The functions find the emulators through the standard SDK settings,
	// exactly as they would find AWS.
	for k, v := range emu.Env() {
		os.Setenv(k, v)
	}
	os.Setenv(config.EnvTable, "registration")
	os.Setenv(config.EnvSettingsFile, settingsFile)
	os.Setenv(config.EnvCookieSecure, "false")

	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	clients := devstack.NewClients(awsCfg)
	cfg, err := config.Load(os.Getenv, config.NeedTable)
	if err != nil {
		return err
	}
	res, err := devstack.Setup(ctx, clients.DynamoDB, clients.SQS, clients.SES, cfg.Table, "mail", cfg.Settings.MailFrom, 10)
	if err != nil {
		return err
	}

	rt := app.Production(cfg.LogLevel)
	rt.Log = log
	sys, err := app.NewSystem(cfg, clients.DynamoDB, rt)
	if err != nil {
		return err
	}
	consumer, err := mailapp.New(cfg, clients.DynamoDB, clients.SES, rt)
	if err != nil {
		return err
	}
	functions := map[string]httpapi.LambdaHandler{}
	for _, r := range httpapi.Routes {
		functions[r.Function] = sys.API.Handler(r.Function)
	}
	mux := http.NewServeMux()
	mux.Handle("/", devstack.NewGateway(httpapi.Routes, functions, log, time.Now))
	mailbox := devstack.NewMailbox(emu.Moto)
	mux.Handle("/_local/mailbox", mailbox)
	mux.Handle("/_local/mailbox.json", mailbox)
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		// Stands in for the storefront's login page the confirm page
		// redirects to.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Storefront login page (local stand-in). Query: %s\n", r.URL.RawQuery)
	})

	go devstack.NewPoller(clients.SQS, res.QueueURL, res.QueueARN, consumer.Handle, log).Run(ctx)
	// The Pipe's stand-in: the stream to the mail queue, every 200 ms.
	go devstack.NewPipe(clients.Streams, clients.SQS, res.Table, res.QueueURL, log).Run(ctx, 200*time.Millisecond)

	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(os.Stderr, `
Local stack is up.
  API:             %s   (routes: %s)
  Mailbox:         %s/_local/mailbox
  DynamoDB Local:  %s   (table %s)
  moto (SQS, SES): %s   (queue %s)
Press Ctrl-C to stop.
`, base, routeList(), base, emu.DynamoDB, res.Table, emu.Moto, res.QueueURL)
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

func routeList() string {
	var parts []string
	for _, r := range httpapi.Routes {
		parts = append(parts, r.Method+" "+r.Path)
	}
	return strings.Join(parts, ", ")
}
