package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/settings"
)

// The real bootstraps under AWS's Runtime Interface Emulator, configured
// from the synthesized template: what `make dev LAMBDA=rie` runs. `make
// test` synthesizes the template first.

// moduleRoot is the repository's top directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	wd, _ := os.Getwd()
	root, err := devstack.ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var (
	bootstrapsOnce sync.Once
	bootstrapsDir  string
	bootstrapsErr  error
)

// bootstraps builds every function for this machine, once per test binary.
func bootstraps(t testing.TB) string {
	t.Helper()
	bootstrapsOnce.Do(func() {
		root := moduleRoot(t)
		bootstrapsDir, bootstrapsErr = os.MkdirTemp("", "openreg-bootstraps-")
		if bootstrapsErr != nil {
			return
		}
		names, err := devstack.Functions(root)
		if err != nil {
			bootstrapsErr = err
			return
		}
		for _, n := range names {
			out := filepath.Join(bootstrapsDir, n, "bootstrap")
			if err := devstack.Build(context.Background(), root, "./functions/"+n, out, runtime.GOOS, runtime.GOARCH); err != nil {
				bootstrapsErr = err
				return
			}
		}
	})
	if bootstrapsErr != nil {
		t.Fatalf("build the bootstraps: %v", bootstrapsErr)
	}
	return bootstrapsDir
}

// template is the synthesized template, which `make synth` writes.
func template(t testing.TB) devstack.Template {
	t.Helper()
	tpl, err := devstack.LoadTemplate(filepath.Join(moduleRoot(t), devstack.TemplatePath))
	if err != nil {
		t.Fatalf("%v", err)
	}
	return tpl
}

func rieBinary(t testing.TB) string { return filepath.Join(moduleRoot(t), devstack.RIEPath) }

// rieStack is a stack whose functions run as their bootstraps under the
// emulator, with the template's environment (and the test settings).
func rieStack(t *testing.T, mutate func(*settings.Settings), tweak func(devstack.Template)) *stack {
	t.Helper()
	base := newStack(t, mutate)
	doc, err := json.Marshal(base.settings)
	if err != nil {
		t.Fatal(err)
	}
	overrides := map[string]string{config.EnvSettings: string(doc), config.EnvSettingsFile: ""}
	tpl := template(t)
	if tweak != nil {
		tweak(tpl)
	}
	log := discardLog()
	rs, err := devstack.StartRuntimes(context.Background(), tpl, rieBinary(t), bootstraps(t),
		base.res.Locals, overrides, base.local.Access, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.Stop)
	s := *base
	s.t = t
	srv := httptest.NewServer(devstack.NewTemplateGateway(tpl, rs.HTTP(), log, time.Now, false))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	s.mailer = rs[functions.Mailer].SQS()
	if s.poller, err = base.local.Poller(functions.Mailer, s.mailer, log); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestRIEFlow: register → mail → confirm → sign-in, every request through
// the gateway, the Runtime API and each function's real main.
func TestRIEFlow(t *testing.T) {
	s := rieStack(t, nil, nil)
	if r := s.register(person("rie@example.com")); r.status != http.StatusAccepted {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	tok := s.verificationToken("rie@example.com")
	if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"}); r.status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	r := s.signIn("rie@example.com", "correct horse")
	if r.status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	token, _ := r.json(t)["sessionToken"].(string)
	if me := s.do(http.MethodGet, "/v1/customers/me", "", nil, "Authorization: Bearer "+token); me.status != http.StatusOK || me.json(t)["email"] != "rie@example.com" {
		t.Errorf("me: %d %s", me.status, me.body)
	}
	s.deliverMail()
	if n := len(s.mailsTo("rie@example.com")); n != 2 {
		t.Errorf("mails = %d, want the link and the welcome", n)
	}
}

// TestEveryFunctionBootsFromTheTemplate: each function starts with exactly
// the environment the stack gives it (its settings too) and answers its
// sample event. A variable the stack forgets makes its function fail at
// cold start, and this test with it, naming the variable.
func TestEveryFunctionBootsFromTheTemplate(t *testing.T) {
	base := newStack(t, nil)
	tpl := template(t)
	samples := map[string]string{
		functions.Register: "registration-form.json", functions.SignIn: "sign-in.json", functions.VerifyEmail: "verify-email-page.json",
		functions.Mailer: "mailer-sqs-batch.json", functions.SESEvents: "ses-bounce.json", functions.Account: "password-reset-page.json", functions.Cart: "cart.json", functions.Admin: "admin-list-customers.json",
	}
	for name, f := range tpl.Functions {
		t.Run(name+" boots under its template environment and answers "+samples[name], func(t *testing.T) {
			sample, ok := samples[name]
			if !ok {
				t.Fatalf("no sample event for %s: add one under events/", name)
			}
			env, err := base.local.Env(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := devstack.StartRuntime(context.Background(), rieBinary(t), filepath.Join(bootstraps(t), name, "bootstrap"), f, env, discardLog())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Stop()
			payload, err := os.ReadFile(filepath.Join(moduleRoot(t), "events", sample))
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.Invoke(context.Background(), payload)
			if err != nil {
				t.Fatalf("%v", err)
			}
			var resp struct {
				StatusCode int `json:"statusCode"`
			}
			if json.Unmarshal(out, &resp) == nil && resp.StatusCode >= 500 {
				t.Errorf("%s answered %s", name, out)
			}
		})
	}

	t.Run("a variable the stack forgets stops the function and names the variable", func(t *testing.T) {
		f := tpl.Functions[functions.SignIn]
		env, err := base.local.Env(functions.SignIn, nil)
		if err != nil {
			t.Fatal(err)
		}
		delete(env, config.EnvTable)
		r, err := devstack.StartRuntime(context.Background(), rieBinary(t), filepath.Join(bootstraps(t), functions.SignIn, "bootstrap"), f, env, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		defer r.Stop()
		payload, _ := os.ReadFile(filepath.Join(moduleRoot(t), "events", "sign-in.json"))
		_, err = r.Invoke(context.Background(), payload)
		if err == nil || !strings.Contains(err.Error(), config.EnvTable) {
			t.Errorf("got %v, want a cold-start failure naming %s", err, config.EnvTable)
		}
	})
}

// TestRIEDeadline: a database that never answers gets the client a 503
// before the function's timeout from the template ends the invocation.
func TestRIEDeadline(t *testing.T) {
	hang := hangingListener(t)
	s := newStack(t, nil)
	tpl := template(t)
	f := tpl.Functions[functions.SignIn]
	env, err := s.local.Env(functions.SignIn, nil)
	if err != nil {
		t.Fatal(err)
	}
	env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://" + hang
	r, err := devstack.StartRuntime(context.Background(), rieBinary(t), filepath.Join(bootstraps(t), functions.SignIn, "bootstrap"), f, env, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	var ev events.APIGatewayV2HTTPRequest
	loadEvent(t, "sign-in.json", &ev)
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := r.Invoke(context.Background(), payload)
	took := time.Since(start)
	var resp events.APIGatewayV2HTTPResponse
	if err == nil {
		err = json.Unmarshal(out, &resp)
	}
	timeout := time.Duration(f.TimeoutSeconds) * time.Second
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("got %d %v %s, want 503", resp.StatusCode, err, resp.Body)
	}
	if took >= timeout {
		t.Errorf("answered after %v, the function's timeout is %v", took, timeout)
	}
	t.Logf("answered 503 after %v of the function's %v", took.Round(time.Millisecond), timeout)
}

// TestRIEConcurrentRequests: as in Lambda, concurrent requests to one
// function each get an environment of their own (started on demand, reused
// warm): twenty concurrent registrations get twenty proper answers.
func TestRIEConcurrentRequests(t *testing.T) {
	s := rieStack(t, nil, nil)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = s.register(person(fmt.Sprintf("rie-burst-%d@example.com", i))).status })
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusAccepted {
			t.Errorf("registration %d: %d", i, st)
		}
	}
	if r := s.register(person("rie-after-burst@example.com")); r.status != http.StatusAccepted {
		t.Errorf("a registration after the burst: %d %s", r.status, r.body)
	}
}
