package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/app/mailapp"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/emulator"
	"github.com/openreg/registration/internal/httpapi"
)

// Local is a template running on the emulators: its resources created
// (Provision), its principals' calls enforced (Enforcer, serving on
// Endpoint) and its Pipes ready to run. `make dev`, `make invoke` and the
// integration tests all start the stack this way.
type Local struct {
	Template  Template
	Resources Resources
	Enforcer  *Enforcer
	// Endpoint is the enforcing layer's address, where every function and
	// Pipe sends its AWS calls.
	Endpoint string
	Pipes    Pipes
	srv      *http.Server
}

// LocalOptions say where the emulators are and how to name the resources.
type LocalOptions struct {
	Provision ProvisionOptions
	// DynamoDB and Moto are the emulators' base URLs.
	DynamoDB, Moto string
	Log            *slog.Logger
}

// Up provisions t with the admin clients (the developer's own, unchecked)
// and starts its enforcing layer on a free loopback port.
func Up(ctx context.Context, admin Clients, t Template, o LocalOptions) (*Local, error) {
	res, err := Provision(ctx, admin, t, o.Provision)
	if err != nil {
		return nil, err
	}
	// The developer's and the tests' own clients sign with the emulators'
	// key and pass unchecked; every other key must be a principal's.
	enf, err := NewEnforcer(t, res.Locals, o.DynamoDB, o.Moto, o.Log, emulator.AccessKey)
	if err != nil {
		return nil, err
	}
	enf.ResolveSecretsWith(admin.Secrets)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &Local{Template: t, Resources: res, Enforcer: enf, Endpoint: "http://" + ln.Addr().String(),
		srv: &http.Server{Handler: enf, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = l.srv.Serve(ln) }()
	for _, def := range t.Pipes {
		p, err := NewPipe(def, res.Locals, l.As(KindPipe, def.LogicalID), o.Log)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.Pipes = append(l.Pipes, p)
	}
	return l, nil
}

// Close stops the enforcing layer.
func (l *Local) Close() { _ = l.srv.Close() }

// As returns the clients of one principal (a function or a Pipe), through
// the enforcing layer.
func (l *Local) As(kind, name string) Clients { return As(kind, name, l.Endpoint) }

// Env is a function's environment as Lambda would give it: the template's
// variables resolved to the local resources, its way to AWS (the
// enforcing layer, its own credentials, the region), then overrides.
func (l *Local) Env(function string, overrides map[string]string) (map[string]string, error) {
	f, ok := l.Template.Functions[function]
	if !ok {
		return nil, fmt.Errorf("no function %q in the template", function)
	}
	env, err := l.Template.Resolve(f, l.Resources.Locals)
	if err != nil {
		return nil, err
	}
	maps.Copy(env, l.Access(function))
	if f.AssetDir != "" {
		env[config.EnvTaskRoot] = f.AssetDir
	}
	maps.Copy(env, overrides)
	return env, nil
}

// Access is a function's way to AWS: the enforcing layer, its own
// credentials, the region (what StartRuntimes and Env put into its
// environment).
func (l *Local) Access(function string) map[string]string {
	env := PrincipalEnv(l.Endpoint, function)
	env[config.EnvRegion] = LocalRegion
	return env
}

// Poller is the event source mapping of function from the template: its
// queue, its settings, and the function's own credentials (in AWS the
// mapping polls with the function's role).
func (l *Local) Poller(function string, h SQSHandler, log *slog.Logger) (*Poller, error) {
	m, ok := l.Template.Mapping(function)
	if !ok {
		return nil, fmt.Errorf("the template maps no event source to %s", function)
	}
	src, err := l.Resources.Locals.String(m.Source)
	if err != nil {
		return nil, err
	}
	id, ok := l.Resources.Locals.ByAttr("Arn", src)
	if !ok || l.Resources.Locals[id]["QueueUrl"] == "" {
		return nil, fmt.Errorf("the event source of %s, %s, is not a queue of the template", function, src)
	}
	return NewPoller(l.As(KindFunction, function).SQS, l.Resources.Locals[id]["QueueUrl"], src, h, log).With(m), nil
}

// Wired are the template's functions wired in this process, each as
// its own main wires it, from its own environment (Env): the HTTP
// functions' handlers (each invocation bounded by the template's timeout)
// and the mailer's.
type Wired struct {
	HTTP   map[string]httpapi.LambdaHandler
	Mailer SQSHandler
	// Events are the functions the template's rules invoke (ses-events).
	Events map[string]func(ctx context.Context, ev events.EventBridgeEvent) error
}

// Invoke is the Invoker of the functions rules invoke.
func (w Wired) Invoke(ctx context.Context, function string, payload []byte) error {
	h, ok := w.Events[function]
	if !ok {
		return fmt.Errorf("no function %s is wired for events", function)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return err
	}
	return h(ctx, ev)
}

// InProcess wires every function of the template in this process, with
// the runtime rt (the tests' clock) and overrides over each environment.
func (l *Local) InProcess(mailer string, overrides map[string]string, rt app.Runtime) (Wired, error) {
	out := Wired{HTTP: map[string]httpapi.LambdaHandler{}, Events: map[string]func(context.Context, events.EventBridgeEvent) error{}}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(l.Template.Functions)) {
		env, err := l.Env(name, overrides)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfg, err := config.Load(func(k string) string { return env[k] }, config.NeedTable, config.NeedAWS)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		awsCfg := app.AWSConfig(cfg.AWS)
		if name == mailer {
			c, err := mailapp.New(cfg, app.DynamoDB(cfg.AWS, awsCfg), mailapp.SES(cfg.AWS, awsCfg), app.HTTPClients(cfg.AWS, awsCfg).Secrets, rt)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			out.Mailer = c.HoldWith(mailapp.Holder(cfg, awsCfg)).Handle
			continue
		}
		if slices.ContainsFunc(l.Template.Rules, func(r Rule) bool { return slices.Contains(r.Functions, name) }) {
			// The one function a rule invokes: SES's feedback.
			out.Events[name] = app.NewFeedback(cfg, app.DynamoDB(cfg.AWS, awsCfg), rt).Handle
			continue
		}
		if !slices.ContainsFunc(httpapi.Routes, func(r httpapi.Route) bool { return r.Function == name }) {
			continue // behind nothing the local stack runs
		}
		sys, err := app.NewSystem(cfg, app.NewStore(cfg, app.DynamoDB(cfg.AWS, awsCfg), rt), app.HTTPClients(cfg.AWS, awsCfg), rt)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		timeout := time.Duration(l.Template.Functions[name].TimeoutSeconds) * time.Second
		out.HTTP[name] = WithTimeout(sys.API.Handler(name), timeout)
	}
	if out.Mailer == nil {
		errs = append(errs, fmt.Errorf("the template has no %s function", mailer))
	}
	return out, errors.Join(errs...)
}
