package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/device"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/testenv"
)

// The local stack runs the synthesized template: each function's calls
// are checked against its role's policies, the Pipes run the template's
// filters and input templates, the mailer's event source and the queues'
// redrive policies are the template's. These tests change a copy of the
// template the way a faulty change to infra/stack would, and show that the
// local stack then fails as AWS would.

// mutatePolicies edits every policy document attached to a role.
func mutatePolicies(t *testing.T, tpl devstack.Template, role string, edit func(statements []any) []any) {
	t.Helper()
	if len(tpl.Roles[role]) == 0 {
		t.Fatalf("role %s has no policies", role)
	}
	for i, p := range tpl.Roles[role] {
		var doc map[string]any
		if err := json.Unmarshal(p.Document, &doc); err != nil {
			t.Fatal(err)
		}
		statements, _ := doc["Statement"].([]any)
		doc["Statement"] = edit(statements)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		tpl.Roles[role][i].Document = b
	}
}

func TestTemplateChangesFailAsInAWS(t *testing.T) {
	t.Run("sign-in without its DynamoDB statement answers 503 and the denial is logged", func(t *testing.T) {
		tpl := template(t)
		role := tpl.Functions[functions.SignIn].Role
		dropped := 0
		mutatePolicies(t, tpl, role, func(sts []any) []any {
			var keep []any
			for _, st := range sts {
				if strings.Contains(fmt.Sprint(st.(map[string]any)["Action"]), "dynamodb:GetItem") {
					dropped++
					continue
				}
				keep = append(keep, st)
			}
			return keep
		})
		if dropped != 1 {
			t.Fatalf("dropped %d statements, want sign-in's one DynamoDB statement", dropped)
		}
		s := newStackOn(t, nil, tpl, nil, true)
		r := s.signIn("nobody@example.com", "correct horse")
		if r.status != http.StatusServiceUnavailable || r.code(t) != "service_unavailable" {
			t.Fatalf("sign-in = %d %s, want 503 service_unavailable", r.status, r.body)
		}
		logs := s.awsLog.String()
		for _, want := range []string{"AWS call denied", "principal=sign-in", "action=dynamodb:", "resource=" + s.res.Locals[tableID(t, tpl)]["Arn"], "dynamodb:LeadingKeys="} {
			if !strings.Contains(logs, want) {
				t.Errorf("the denial's log line lacks %q:\n%s", want, logs)
			}
		}
		// The other functions keep their grants.
		if r := s.register(person("still@example.com")); r.status != http.StatusAccepted {
			t.Errorf("register = %d %s, want 202", r.status, r.body)
		}
	})

	t.Run("sign-in without GUEST# in its leading keys fails a guest's sign-in, as the review found deployed", func(t *testing.T) {
		tpl := template(t)
		dropped := 0
		mutatePolicies(t, tpl, tpl.Functions[functions.SignIn].Role, func(sts []any) []any {
			for _, st := range sts {
				cond, _ := st.(map[string]any)["Condition"].(map[string]any)
				like, _ := cond["ForAllValues:StringLike"].(map[string]any)
				keys, _ := like["dynamodb:LeadingKeys"].([]any)
				if i := slices.Index(keys, any("GUEST#*")); i >= 0 {
					like["dynamodb:LeadingKeys"] = slices.Delete(keys, i, i+1)
					dropped++
				}
			}
			return sts
		})
		if dropped != 1 {
			t.Fatalf("dropped GUEST#* from %d statements, want 1", dropped)
		}
		s := newStackOn(t, nil, tpl, nil, true)
		s.activeCustomer("guest-owner@example.com", "a password")
		if r := s.signIn("guest-owner@example.com", "a password"); r.status != http.StatusOK {
			t.Fatalf("sign-in without a guest = %d %s, want 200 (no GUEST# key touched)", r.status, r.body)
		}
		guest := s.newGuest(t, map[string]int{"A": 1})
		if r := s.signIn("guest-owner@example.com", "a password", guestHeader(guest)); r.status != http.StatusServiceUnavailable {
			t.Errorf("sign-in with a guest's cart = %d %s, want 503", r.status, r.body)
		}
		if logs := s.awsLog.String(); !strings.Contains(logs, "GUEST#"+guest) {
			t.Errorf("the denial does not name the guest's key:\n%s", logs)
		}
	})

	t.Run("an outbox Pipe whose filter matches nothing carries no mail", func(t *testing.T) {
		tpl := template(t)
		for i, p := range tpl.Pipes {
			if strings.Contains(p.InputTemplate, "outboxMessage") {
				tpl.Pipes[i].Filters = []string{`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"noSuchAttribute":{"S":[{"exists":true}]}}}}`}
			}
		}
		s := newStackOn(t, nil, tpl, nil, true)
		if r := s.register(person("filtered@example.com")); r.status != http.StatusAccepted {
			t.Fatalf("register = %d %s", r.status, r.body)
		}
		s.deliverMail()
		if n := len(s.mailsTo("filtered@example.com")); n != 0 {
			t.Errorf("%d mails went out through a Pipe that matches nothing", n)
		}
		if jobs := s.outboxItems(); len(jobs) != 1 {
			t.Errorf("outbox = %d items, want the registration's job still waiting", len(jobs))
		}
	})

	t.Run("a mailer whose SES grant names another sender parks the mail in the dead-letter queue", func(t *testing.T) {
		tpl := template(t)
		role := tpl.Functions[functions.Mailer].Role
		changed := 0
		mutatePolicies(t, tpl, role, func(sts []any) []any {
			for _, st := range sts {
				if st.(map[string]any)["Action"] == "ses:SendEmail" {
					st.(map[string]any)["Condition"] = map[string]any{"StringEquals": map[string]any{"ses:FromAddress": "someone-else@shop.example"}}
					changed++
				}
			}
			return sts
		})
		if changed != 1 {
			t.Fatalf("changed %d statements, want the mailer's one SES statement", changed)
		}
		s := newStackOn(t, nil, tpl, nil, true)
		if r := s.register(person("unsent@example.com")); r.status != http.StatusAccepted {
			t.Fatalf("register = %d %s", r.status, r.body)
		}
		if _, err := s.pipe.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The job mints a link and stores the mail; the mail fails at SES
		// until the queue's redrive policy parks it.
		deadline := time.Now().Add(40 * time.Second)
		for time.Now().Before(deadline) && inDLQ(t, s) == 0 {
			if _, err := s.pipe.Once(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.poller.Once(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
		}
		if n := inDLQ(t, s); n != 1 {
			t.Errorf("dead-letter queue holds %d messages, want the refused mail", n)
		}
		if n := len(s.mailsTo("unsent@example.com")); n != 0 {
			t.Errorf("%d mails went out without the grant", n)
		}
		if logs := s.awsLog.String(); !strings.Contains(logs, "action=ses:SendEmail") || !strings.Contains(logs, "ses:FromAddress=[no-reply@shop.example]") {
			t.Errorf("no denial of the mailer's SendEmail logged:\n%s", logs)
		}
	})
}

// tableID is the logical id of the template's table.
func tableID(t *testing.T, tpl devstack.Template) string {
	t.Helper()
	ids := tpl.OfType("AWS::DynamoDB::Table")
	if len(ids) != 1 {
		t.Fatalf("the template has %d tables", len(ids))
	}
	return ids[0]
}

// TestTheTemplateRoutesTheContract: the template's API (which the local
// gateway serves) routes every route of the contract to its function, and
// only the back office's routes need IAM.
func TestTheTemplateRoutesTheContract(t *testing.T) {
	line := func(method, path, fn string, iam bool) string {
		return fmt.Sprintf("%s %s → %s (IAM %v)", method, path, fn, iam)
	}
	var got, want []string
	for _, r := range template(t).Routes {
		got = append(got, line(r.Method, r.Path, r.Function, r.IAM))
	}
	for _, r := range httpapi.Routes {
		want = append(want, line(r.Method, r.Path, r.Function, httpapi.IsAdmin(r.Path)))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("template routes:\n%s\ncontract routes:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTheTemplateAnswersBrowsersAsTheLocalGatewayDoes: the template's CORS
// configuration is the one policy (httpapi.CORSPolicy) for the settings it
// was synthesized with, the policy the local gateway answers with.
func TestTheTemplateAnswersBrowsersAsTheLocalGatewayDoes(t *testing.T) {
	s := exampleSettings(t)
	tpl := template(t)
	got := tpl.CORS
	if want := httpapi.CORSPolicy(s.URLs); got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("template CORS = %+v, want %+v", got, want)
	}
	// The gateway serving that template answers the storefront's preflight
	// with it, and another origin's with nothing.
	gw := devstack.NewTemplateGateway(tpl, nil, discardLog(), time.Now, false)
	for origin, want := range map[string]string{s.URLs.Storefront: s.URLs.Storefront, "https://evil.example": ""} {
		r := httptest.NewRequest(http.MethodOptions, "/v1/customers", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != want {
			t.Errorf("preflight from %s: %d, Access-Control-Allow-Origin %q, want 204 %q", origin, w.Code, w.Header().Get("Access-Control-Allow-Origin"), want)
		}
	}
}

// TestTemplateKeyRings: the template's two generated key rings, the device
// keys and the one-time codes' keys, are created in moto as key rings;
// each function's environment names the ones the template gives it; and
// the enforcing layer lets exactly the functions the template grants read
// each: sign-in the device keys; the mailer, verify-email, account and
// sign-in the code keys.
func TestTemplateKeyRings(t *testing.T) {
	tpl := template(t)
	clients := testenv.Clients(t)
	local, logs := upLocal(t, clients, tpl)
	res := local.Resources
	if res.DeviceKeys == "" || res.CodeKeys == "" || res.DeviceKeys == res.CodeKeys {
		t.Fatalf("DeviceKeys = %q, CodeKeys = %q, want two secrets", res.DeviceKeys, res.CodeKeys)
	}
	rings := []struct {
		name, arn, env string
		readers        []string
	}{
		{"device keys", res.DeviceKeys, config.EnvDeviceKeys, []string{functions.SignIn}},
		{"code keys", res.CodeKeys, config.EnvCodeKeys, []string{functions.Mailer, functions.VerifyEmail, functions.Account, functions.SignIn}},
	}
	for _, ring := range rings {
		t.Run("the "+ring.name+" are a key ring in moto", func(t *testing.T) {
			out, err := clients.Secrets.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(ring.arn)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := device.ParseKeys(aws.ToString(out.SecretString)); err != nil {
				t.Errorf("%s: %v", ring.arn, err)
			}
		})
		t.Run("the "+ring.name+" are named to and read by their functions alone", func(t *testing.T) {
			for _, fn := range functions.All {
				reader := slices.Contains(ring.readers, fn)
				env, err := local.Env(fn, nil)
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]string{true: settings.SecretSecretsManager + ":" + ring.arn}[reader]; env[ring.env] != want {
					t.Errorf("%s: %s = %q, want %q", fn, ring.env, env[ring.env], want)
				}
				_, err = local.As(devstack.KindFunction, fn).Secrets.GetSecretValue(context.Background(),
					&secretsmanager.GetSecretValueInput{SecretId: aws.String(ring.arn)})
				var api smithy.APIError
				if denied := errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException"; reader && err != nil || !reader && !denied {
					t.Errorf("%s reads the %s: %v, want allowed %v", fn, ring.name, err, reader)
				}
				if !reader && !strings.Contains(logs.String(), "principal="+fn+" ") {
					t.Errorf("the denial of %s is not logged", fn)
				}
			}
		})
	}
	t.Run("the functions that check codes load their reference", func(t *testing.T) {
		env, err := local.Env(functions.Account, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(func(k string) string { return env[k] }, config.NeedTable, config.NeedAWS)
		if err != nil || cfg.CodeKeys != settings.SecretSecretsManager+":"+res.CodeKeys {
			t.Errorf("CodeKeys = %q, %v", cfg.CodeKeys, err)
		}
	})
}
