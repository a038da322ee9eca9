package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/openreg/registration/infra/stack"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/sizing"
	"github.com/openreg/registration/internal/store/keys"
)

// settingsDoc is what an operator might pass; it must reach the functions
// unchanged (compacted).
const settingsDoc = `{
  "storeName": "Test Shop",
  "registrationType": "AdminApproval",
  "urls": {"publicApi": "https://api.shop.example", "storefront": "https://shop.example", "loginPath": "/login"},
  "mailFrom": "no-reply@shop.example"
}`

type synthesized struct {
	tpl      assertions.Template
	json     map[string]any
	errors   []string
	template string // path of the template file
}

var (
	once   sync.Once
	result synthesized
)

// synth builds the stack once for all tests: synthesizing starts the jsii
// runtime, which takes seconds.
func synth(t *testing.T) synthesized {
	t.Helper()
	once.Do(func() {
		codeDir, err := os.MkdirTemp("", "cdk-code-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(codeDir)
		fakeCode(t, codeDir)
		s, js, err := stack.ValidateSettings([]byte(settingsDoc))
		if err != nil {
			t.Fatal(err)
		}
		// Not t.TempDir: the assembly outlives the first test that asks for it.
		out, err := os.MkdirTemp("", "cdk-test-")
		if err != nil {
			t.Fatal(err)
		}
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
		// Not the defaults, to show the configured numbers arrive
		// (TestDefaults checks the defaults).
		st := stack.New(app, "Test", stack.Props{
			Settings: s, SettingsJSON: js, CodeDir: codeDir, OperatorEmail: "ops@shop.example",
			RouteThrottleRate: 7, RouteThrottleBurst: 14, ReservedConcurrency: ptr(40),
		})
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		app.Synth(nil)
		result.tpl = assertions.Template_FromStack(st, nil)
		result.json = map[string]any{}
		b, _ := json.Marshal(result.tpl.ToJSON())
		_ = json.Unmarshal(b, &result.json)
		for _, kind := range []string{"error", "warning"} {
			//lint:ignore SA1019 Annotations_FromStack returns this type; its replacement has no Go binding yet.
			var found *[]*cxapi.SynthesisMessage
			if kind == "error" {
				found = assertions.Annotations_FromStack(st).FindError(jsii.String("*"), assertions.Match_AnyValue())
			} else {
				found = assertions.Annotations_FromStack(st).FindWarning(jsii.String("*"), assertions.Match_AnyValue())
			}
			for _, m := range *found {
				//lint:ignore SA1019 see above: the fields of the returned type.
				result.errors = append(result.errors, kind+": "+*m.Id+": "+jsonString(m.Entry.Data))
			}
		}
		result.template = filepath.Join(out, "Test.template.json")
	})
	if result.template == "" {
		t.Fatal("synthesis failed in an earlier test")
	}
	return result
}

// fakeCode writes a stand-in bootstrap for every function: the template
// does not depend on its contents.
func fakeCode(t *testing.T, dir string) {
	t.Helper()
	for _, fn := range functions.All {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// synthWith synthesizes one more stack from p (with the test settings and
// stand-in code) and returns its template as JSON; no cdk-nag, no cfn-lint.
func synthWith(t *testing.T, p stack.Props) map[string]any {
	t.Helper()
	return synthDoc(t, settingsDoc, p)
}

// synthDoc is synthWith on another settings document.
func synthDoc(t *testing.T, doc string, p stack.Props) map[string]any {
	t.Helper()
	s, js, err := stack.ValidateSettings([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p.Settings, p.SettingsJSON, p.CodeDir = s, js, t.TempDir()
	fakeCode(t, p.CodeDir)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st := stack.New(app, "Variant", p)
	out := map[string]any{}
	b, _ := json.Marshal(assertions.Template_FromStack(st, nil).ToJSON())
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func resources(s synthesized, typ string) map[string]map[string]any {
	return resourcesOf(s.json, typ)
}

func resourcesOf(template map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range template["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if result.template != "" {
		os.RemoveAll(filepath.Dir(result.template))
	}
	jsii.Close()
	os.Exit(code)
}

func TestFunctions(t *testing.T) {
	s := synth(t)
	t.Run("every function is a bootstrap on provided.al2023 for arm64 with JSON logs", func(t *testing.T) {
		s.tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(float64(len(functions.All))))
		s.tpl.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), &map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
			"LoggingConfig": map[string]any{"LogFormat": "JSON"},
		})
	})
	t.Run("every log group keeps its logs for a set time", func(t *testing.T) {
		s.tpl.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), &map[string]any{"RetentionInDays": 30})
	})
	t.Run("the settings reach the functions unchanged, as a file in their code", func(t *testing.T) {
		_, compact, _ := stack.ValidateSettings([]byte(settingsDoc))
		// The template as written (with its assets' metadata).
		raw, err := os.ReadFile(s.template)
		if err != nil {
			t.Fatal(err)
		}
		var written map[string]any
		if err := json.Unmarshal(raw, &written); err != nil {
			t.Fatal(err)
		}
		fns := resourcesOf(written, "AWS::Lambda::Function")
		for id, fn := range fns {
			env := fn["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
			if env[config.EnvSettingsFile] != config.SettingsFileName || env[config.EnvSettings] != nil {
				t.Errorf("%s: %s = %v, %s = %v; want the file and no inline document", id, config.EnvSettingsFile, env[config.EnvSettingsFile], config.EnvSettings, env[config.EnvSettings])
			}
			// The code asset is staged as asset.<hash> beside the template.
			key, _ := fn["Properties"].(map[string]any)["Code"].(map[string]any)["S3Key"].(string)
			asset := "asset." + strings.TrimSuffix(key, ".zip")
			got, err := os.ReadFile(filepath.Join(filepath.Dir(s.template), asset, config.SettingsFileName))
			if err != nil || string(got) != compact {
				t.Errorf("%s's code holds settings %q (%v), want %s", id, got, err, compact)
			}
		}
	})
	t.Run("the functions a flood of anonymous requests reaches have reserved concurrency, the others none", func(t *testing.T) {
		want := map[string]any{functions.Register: float64(40), functions.SignIn: float64(40), functions.VerifyEmail: float64(40),
			functions.Account: float64(40), functions.Cart: nil, functions.Admin: nil, functions.Mailer: nil, functions.SESEvents: nil}
		for name, fn := range functionsByName(t, s.json) {
			if got := fn["Properties"].(map[string]any)["ReservedConcurrentExecutions"]; got != want[name] {
				t.Errorf("%s ReservedConcurrentExecutions = %v, want %v", name, got, want[name])
			}
		}
	})
	t.Run("every function gets internal/sizing's memory size and timeout", func(t *testing.T) {
		for name, fn := range functionsByName(t, s.json) {
			p := fn["Properties"].(map[string]any)
			if p["MemorySize"] != float64(sizing.MemoryMB[name]) || p["Timeout"] != float64(sizing.TimeoutSeconds[name]) {
				t.Errorf("%s memory = %v, timeout = %v; want %d MB, %d s", name, p["MemorySize"], p["Timeout"],
					sizing.MemoryMB[name], sizing.TimeoutSeconds[name])
			}
		}
	})
	t.Run("the hashing functions get at least 1 GiB for CPU", func(t *testing.T) {
		for _, name := range []string{functions.Register, functions.SignIn, functions.VerifyEmail, functions.Account} {
			if sizing.MemoryMB[name] < 1024 {
				t.Errorf("%s has %d MB", name, sizing.MemoryMB[name])
			}
		}
	})
}

func TestRoutes(t *testing.T) {
	s := synth(t)
	routes := resources(s, "AWS::ApiGatewayV2::Route")
	got := map[string]bool{}
	for _, r := range routes {
		got[r["Properties"].(map[string]any)["RouteKey"].(string)] = true
	}
	for _, r := range httpapi.Routes {
		if !got[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not deployed", r.Method, r.Path)
		}
	}
	if len(got) != len(httpapi.Routes) {
		t.Errorf("deployed %d routes, the contract has %d", len(got), len(httpapi.Routes))
	}
	t.Run("only the storefront's origin may call from a browser, with credentials", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), &map[string]any{
			"CorsConfiguration": assertions.Match_ObjectLike(&map[string]any{
				"AllowOrigins": []any{"https://shop.example"}, "AllowCredentials": true,
			}),
		})
	})
	t.Run("each unauthenticated write route has its own throttle, after its route exists", func(t *testing.T) {
		stages := resources(s, "AWS::ApiGatewayV2::Stage")
		if len(stages) != 1 {
			t.Fatalf("%d stages", len(stages))
		}
		for _, st := range stages {
			want := map[string]any{}
			for _, key := range []string{"POST /v1/customers", "POST /v1/verify-email/resend", "POST /v1/sessions", "POST /v1/verify-email",
				"POST /v1/password-resets", "POST /v1/password-reset", "POST /v1/email-change", "POST /v1/guests", "PUT /v1/cart/items/{sku}"} {
				want[key] = map[string]any{"ThrottlingRateLimit": float64(7), "ThrottlingBurstLimit": float64(14)}
			}
			got := st["Properties"].(map[string]any)["RouteSettings"]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("RouteSettings = %s, want %s", jsonString(got), jsonString(want))
			}
			dependsOn := jsonString(st["DependsOn"])
			for id, r := range routes {
				if _, throttled := want[r["Properties"].(map[string]any)["RouteKey"].(string)]; throttled && !strings.Contains(dependsOn, `"`+id+`"`) {
					t.Errorf("the stage does not depend on route %s (DependsOn %s)", id, dependsOn)
				}
			}
		}
	})
	t.Run("the stage throttles and writes access logs", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), &map[string]any{
			"StageName":            "$default",
			"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100},
			"AccessLogSettings":    assertions.Match_ObjectLike(&map[string]any{"DestinationArn": assertions.Match_AnyValue()}),
		})
	})
}

func TestDefaults(t *testing.T) {
	synth(t) // starts the jsii runtime once, for every test
	t.Run("routes are throttled at 10/s (burst 20) and 50 executions are reserved", func(t *testing.T) {
		tpl := synthWith(t, stack.Props{})
		for _, st := range resourcesOf(tpl, "AWS::ApiGatewayV2::Stage") {
			p := st["Properties"].(map[string]any)
			if got := jsonString(p["DefaultRouteSettings"]); got != `{"ThrottlingBurstLimit":100,"ThrottlingRateLimit":50}` {
				t.Errorf("DefaultRouteSettings = %s", got)
			}
			rs := p["RouteSettings"].(map[string]any)
			if len(rs) != len(stack.ThrottledRoutes) {
				t.Errorf("RouteSettings = %s", jsonString(rs))
			}
			for key, v := range rs {
				if got := jsonString(v); got != `{"ThrottlingBurstLimit":20,"ThrottlingRateLimit":10}` {
					t.Errorf("%s: %s", key, got)
				}
			}
		}
		for name, fn := range functionsByName(t, tpl) {
			got := fn["Properties"].(map[string]any)["ReservedConcurrentExecutions"]
			if want := slices.Contains(stack.ReservedConcurrencyFunctions, name); want != (got == float64(stack.DefaultReservedConcurrency)) || (!want && got != nil) {
				t.Errorf("%s ReservedConcurrentExecutions = %v", name, got)
			}
		}
	})
	t.Run("reserved concurrency 0 reserves none", func(t *testing.T) {
		for name, fn := range functionsByName(t, synthWith(t, stack.Props{ReservedConcurrency: ptr(0)})) {
			if got, ok := fn["Properties"].(map[string]any)["ReservedConcurrentExecutions"]; ok {
				t.Errorf("%s ReservedConcurrentExecutions = %v", name, got)
			}
		}
	})
}

// functionIDs are the construct ids of the functions.
var functionIDs = map[string]string{functions.Register: "Register", functions.SignIn: "SignIn", functions.VerifyEmail: "VerifyEmail",
	functions.Account: "Account", functions.Cart: "Cart", functions.Admin: "Admin", functions.Mailer: "Mailer", functions.SESEvents: "SesEvents"}

// cdkSuffix is the hash CDK appends to a logical id.
var cdkSuffix = regexp.MustCompile(`^[0-9A-F]{8}$`)

// functionsByName finds every function's resource in a template.
func functionsByName(t *testing.T, template map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, r := range resourcesOf(template, "AWS::Lambda::Function") {
		for name, prefix := range functionIDs {
			if strings.HasPrefix(id, prefix) && cdkSuffix.MatchString(id[len(prefix):]) {
				out[name] = r
			}
		}
	}
	if len(out) != len(functions.All) {
		t.Fatalf("found %d of %d functions", len(out), len(functions.All))
	}
	return out
}

func TestBackOfficeAuthority(t *testing.T) {
	s := synth(t)
	for id, r := range resources(s, "AWS::ApiGatewayV2::Route") {
		props := r["Properties"].(map[string]any)
		key := props["RouteKey"].(string)
		admin := strings.Contains(key, " /v1/admin/")
		if got := props["AuthorizationType"]; admin && got != "AWS_IAM" {
			t.Errorf("%s (%s) has authorisation %v, want AWS_IAM", key, id, got)
		} else if !admin && got != nil && got != "NONE" {
			t.Errorf("storefront route %s has authorisation %v", key, got)
		}
		if fn := jsonString(props["Target"]); admin != strings.Contains(fn, "AdminIntegration") {
			t.Errorf("%s goes to %s", key, fn)
		}
	}
	s.tpl.HasOutput(jsii.String("BackOfficePolicyArn"), &map[string]any{})
	for _, p := range resources(s, "AWS::IAM::ManagedPolicy") {
		for _, st := range p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			res := jsonString(st.(map[string]any)["Resource"])
			if acts := actionsOf(st.(map[string]any)); !slices.Equal(acts, []string{"execute-api:Invoke"}) || strings.Contains(res, "/v1/customers") && !strings.Contains(res, "/v1/admin/") {
				t.Errorf("back-office policy statement %v on %s", acts, res)
			}
			if n := strings.Count(res, "/v1/admin/"); n != 9 {
				t.Errorf("the back-office policy names %d routes, want the 9 admin routes: %s", n, res)
			}
		}
	}
}

// keyRings are the construct ids of the key rings the stack generates.
var keyRings = []string{"DeviceKeys", "CodeKeys"}

// secretReaders lists the roles whose statements grant action, with the
// resource granted, skipping the resources that contain one of skip.
func secretReaders(tpl map[string]any, action string, skip ...string) map[string]string {
	return grants(tpl, action, func(res string) bool {
		return !slices.ContainsFunc(skip, func(s string) bool { return strings.Contains(res, s) })
	})
}

// readersOf lists the roles whose statements grant action on a resource
// that contains resource, with the resource granted.
func readersOf(tpl map[string]any, action, resource string) map[string]string {
	return grants(tpl, action, func(res string) bool { return strings.Contains(res, resource) })
}

// grants lists the roles whose statements grant action on a resource that
// passes keep, with the resource granted.
func grants(tpl map[string]any, action string, keep func(resource string) bool) map[string]string {
	out := map[string]string{}
	for _, p := range resourcesOf(tpl, "AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			res := jsonString(st.(map[string]any)["Resource"])
			if slices.Contains(actionsOf(st.(map[string]any)), action) && keep(res) {
				out[jsonString(props["Roles"])] = res
			}
		}
	}
	return out
}

// onlyReader checks that one role, named like role, reads one resource,
// named like resource.
func onlyReader(t *testing.T, got map[string]string, role, resource string) {
	t.Helper()
	onlyReaders(t, got, resource, role)
}

// onlyReaders checks that exactly roles (each named like one of them) read
// resource, and each only it, as one Resource (no wildcard beside it).
func onlyReaders(t *testing.T, got map[string]string, resource string, roles ...string) {
	t.Helper()
	if len(got) != len(roles) {
		t.Fatalf("readers %v, want %v only", got, roles)
	}
	for r, res := range got {
		if !slices.ContainsFunc(roles, func(role string) bool { return strings.Contains(r, `"`+role) }) || !strings.Contains(res, resource) {
			t.Errorf("%s reads %s, want %v to read %s", r, res, roles, resource)
		}
	}
}

// generatedKeyRing checks that the template generates the key ring with
// the construct id id, {"current":"k1","k1":<64 characters>}, and no other
// key ring of that id.
func generatedKeyRing(t *testing.T, tpl map[string]any, id string) {
	t.Helper()
	var found []string
	for logical, sec := range resourcesOf(tpl, "AWS::SecretsManager::Secret") {
		if !strings.HasPrefix(logical, id) || !cdkSuffix.MatchString(logical[len(id):]) {
			continue
		}
		found = append(found, logical)
		gen := jsonString(sec["Properties"].(map[string]any)["GenerateSecretString"])
		if !strings.Contains(gen, `"GenerateStringKey":"k1"`) || !strings.Contains(gen, `{\"current\":\"k1\"}`) || !strings.Contains(gen, `"PasswordLength":64`) {
			t.Errorf("%s generated as %s", logical, gen)
		}
	}
	if len(found) != 1 {
		t.Errorf("key rings %s: %v, want one", id, found)
	}
}

// envOnly checks that exactly the functions with roles (named like one of
// them) have the variable env, each the secretsmanager: reference of the
// key ring id.
func envOnly(t *testing.T, tpl map[string]any, env, id string, roles ...string) {
	t.Helper()
	for _, fn := range resourcesOf(tpl, "AWS::Lambda::Function") {
		props := fn["Properties"].(map[string]any)
		role := jsonString(props["Role"])
		envProps, _ := props["Environment"].(map[string]any)
		vars, _ := envProps["Variables"].(map[string]any)
		v, has := vars[env]
		want := slices.ContainsFunc(roles, func(r string) bool { return strings.Contains(role, `"`+r) })
		if has != want {
			t.Errorf("%s in the environment of %s: %v, want %v", env, role, has, want)
		}
		if has && (!strings.Contains(jsonString(v), `"secretsmanager:"`) || !strings.Contains(jsonString(v), `{"Ref":"`+id)) {
			t.Errorf("%s of %s = %s, want secretsmanager:<%s's ARN>", env, role, jsonString(v), id)
		}
	}
}

// TestDeviceKeys: the stack generates the device keys' secret when the
// settings name none, and only sign-in may read it (or the one they name).
func TestDeviceKeys(t *testing.T) {
	t.Run("a generated secret, named to sign-in alone, which alone reads it", func(t *testing.T) {
		tpl := synthDoc(t, settingsDoc, stack.Props{})
		generatedKeyRing(t, tpl, "DeviceKeys")
		onlyReader(t, readersOf(tpl, "secretsmanager:GetSecretValue", "DeviceKeys"), "SignInRole", "DeviceKeys")
		envOnly(t, tpl, config.EnvDeviceKeys, "DeviceKeys", "SignInRole")
	})
	t.Run("a named parameter is read by sign-in alone and nothing is generated", func(t *testing.T) {
		doc := strings.Replace(settingsDoc, `"storeName"`, `"deviceTrust": {"secret": "ssm:/shop/device-keys"}, "storeName"`, 1)
		tpl := synthDoc(t, doc, stack.Props{})
		for id := range resourcesOf(tpl, "AWS::SecretsManager::Secret") {
			if strings.HasPrefix(id, "DeviceKeys") {
				t.Errorf("%s generated", id)
			}
		}
		onlyReader(t, secretReaders(tpl, "ssm:GetParameter"), "SignInRole", ":parameter/shop/device-keys")
		envOnly(t, tpl, config.EnvDeviceKeys, "DeviceKeys")
	})
	t.Run("a file is refused for a deployed stack", func(t *testing.T) {
		doc := strings.Replace(settingsDoc, `"storeName"`, `"deviceTrust": {"secret": "file:/tmp/keys.json"}, "storeName"`, 1)
		if _, _, err := stack.ValidateSettings([]byte(doc)); err == nil || !strings.Contains(err.Error(), "deviceTrust.secret") {
			t.Errorf("ValidateSettings = %v", err)
		}
	})
}

// codeKeyReaders are the roles of the functions that mint (the mailer) or
// check (verify-email, account, sign-in) one-time codes.
var codeKeyReaders = []string{"MailerRole", "VerifyEmailRole", "AccountRole", "SignInRole"}

// TestCodeKeys: the stack always generates the one-time codes' key ring,
// names it to the functions that mint or check codes, and only they may
// read it.
func TestCodeKeys(t *testing.T) {
	t.Run("a generated secret, named to the four code functions, which alone read it", func(t *testing.T) {
		tpl := synthDoc(t, settingsDoc, stack.Props{})
		generatedKeyRing(t, tpl, "CodeKeys")
		onlyReaders(t, readersOf(tpl, "secretsmanager:GetSecretValue", "CodeKeys"), "CodeKeys", codeKeyReaders...)
		envOnly(t, tpl, config.EnvCodeKeys, "CodeKeys", codeKeyReaders...)
		// The two key rings are granted apart: no statement names both.
		for role, res := range readersOf(tpl, "secretsmanager:GetSecretValue", "CodeKeys") {
			if strings.Contains(res, "DeviceKeys") {
				t.Errorf("%s reads both key rings in one statement: %s", role, res)
			}
		}
	})
	t.Run("device keys the settings name leave the code keys as they are", func(t *testing.T) {
		doc := strings.Replace(settingsDoc, `"storeName"`, `"deviceTrust": {"secret": "ssm:/shop/device-keys"}, "storeName"`, 1)
		tpl := synthDoc(t, doc, stack.Props{})
		if n := len(resourcesOf(tpl, "AWS::SecretsManager::Secret")); n != 1 {
			t.Errorf("%d secrets, want the code keys alone", n)
		}
		generatedKeyRing(t, tpl, "CodeKeys")
		onlyReaders(t, readersOf(tpl, "secretsmanager:GetSecretValue", "CodeKeys"), "CodeKeys", codeKeyReaders...)
		envOnly(t, tpl, config.EnvCodeKeys, "CodeKeys", codeKeyReaders...)
	})
}

func TestCaptchaSecret(t *testing.T) {
	withCaptcha := func(secret, on string) string {
		return strings.Replace(settingsDoc, `"storeName"`, `"captcha": {"provider": "turnstile", "siteKey": "0x4AAA", "secret": "`+secret+`", "on": `+on+`}, "storeName"`, 1)
	}
	// readers lists the functions whose roles may read the secret (not the
	// key rings), and on what resource.
	readers := func(tpl map[string]any, action string) map[string]string {
		return secretReaders(tpl, action, keyRings...)
	}
	t.Run("only the functions of the places the CAPTCHA applies to read its parameter, and only it", func(t *testing.T) {
		tpl := synthDoc(t, withCaptcha("ssm:/shop/captcha", `{"registration": true, "passwordReset": true}`), stack.Props{})
		got := readers(tpl, "ssm:GetParameter")
		if len(got) != 2 {
			t.Fatalf("%d roles read the parameter, want Register's and Account's: %v", len(got), got)
		}
		for role, res := range got {
			if !strings.Contains(role, "RegisterRole") && !strings.Contains(role, "AccountRole") {
				t.Errorf("%s reads the secret", role)
			}
			if !strings.Contains(res, ":parameter/shop/captcha") || strings.Contains(res, "*") {
				t.Errorf("%s reads %s, want exactly the parameter", role, res)
			}
		}
	})
	t.Run("a Secrets Manager secret named without its ARN is granted with its random suffix only", func(t *testing.T) {
		tpl := synthDoc(t, withCaptcha("secretsmanager:shop/captcha", `{"signIn": true}`), stack.Props{})
		onlyReader(t, readers(tpl, "secretsmanager:GetSecretValue"), "SignInRole", ":secret:shop/captcha-??????")
	})
	t.Run("a deployed stack refuses a secret kept in a file", func(t *testing.T) {
		_, _, err := stack.ValidateSettings([]byte(withCaptcha("file:/tmp/secret", `{"resend": true}`)))
		if err == nil || !strings.Contains(err.Error(), "settings.captcha.secret") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestTable(t *testing.T) {
	s := synth(t)
	s.tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), &map[string]any{
		"DeletionPolicy": "Retain",
		"Properties": assertions.Match_ObjectLike(&map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": "ttl", "Enabled": true},
			"DeletionProtectionEnabled":        true,
			"StreamSpecification":              map[string]any{"StreamViewType": "NEW_IMAGE"},
			// Two indexes: the back office's sharded status list, and the
			// sparse list of customers whose mail stopped.
			"GlobalSecondaryIndexes": []any{map[string]any{
				"IndexName": "byStatus",
				"KeySchema": []any{map[string]any{"AttributeName": "statusKey", "KeyType": "HASH"},
					map[string]any{"AttributeName": "statusSort", "KeyType": "RANGE"}},
				"Projection": map[string]any{"ProjectionType": "INCLUDE",
					"NonKeyAttributes": []any{"id", "storeId", "email", "username", "status", "createdAt", "emailVerifiedAt", "profile"}},
			}, map[string]any{
				"IndexName": "byUndeliverable",
				"KeySchema": []any{map[string]any{"AttributeName": "undeliverableKey", "KeyType": "HASH"},
					map[string]any{"AttributeName": "statusSort", "KeyType": "RANGE"}},
				"Projection": map[string]any{"ProjectionType": "INCLUDE",
					"NonKeyAttributes": []any{"id", "storeId", "email", "username", "status", "createdAt", "emailVerifiedAt", "profile", "emailStatus"}},
			}},
		}),
	})
}

func TestMailPath(t *testing.T) {
	s := synth(t)
	t.Run("the queue sends mails that keep failing to the dead-letter queue", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]any{
			"RedrivePolicy":        map[string]any{"deadLetterTargetArn": assertions.Match_AnyValue(), "maxReceiveCount": 5},
			"SqsManagedSseEnabled": true,
			"VisibilityTimeout":    180,
		})
	})
	t.Run("every queue refuses requests without TLS", func(t *testing.T) {
		s.tpl.ResourceCountIs(jsii.String("AWS::SQS::QueuePolicy"), jsii.Number(4))
		s.tpl.AllResourcesProperties(jsii.String("AWS::SQS::QueuePolicy"), &map[string]any{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}),
			})}),
		})
	})
	t.Run("the mailer reads batches of ten and reports partial failures", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), &map[string]any{
			"BatchSize": 10, "FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			"ScalingConfig": map[string]any{"MaximumConcurrency": 5}, "MaximumBatchingWindowInSeconds": 1,
		})
	})
	t.Run("SES sends through a configuration set that suppresses bounces", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::SES::ConfigurationSet"), &map[string]any{
			"SuppressionOptions": map[string]any{"SuppressedReasons": []any{"BOUNCE", "COMPLAINT"}},
		})
		s.tpl.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), &map[string]any{"EmailIdentity": "no-reply@shop.example"})
	})
	t.Run("bounces and complaints reach the ses-events function", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::SES::ConfigurationSetEventDestination"), &map[string]any{
			"EventDestination": assertions.Match_ObjectLike(&map[string]any{
				"MatchingEventTypes": []any{"bounce", "complaint"}, "Enabled": true,
			}),
		})
		s.tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), &map[string]any{
			"EventPattern": map[string]any{"source": []any{"aws.ses"}, "detail-type": []any{"Email Bounced", "Email Complaint Received"}},
		})
	})
	t.Run("the outbox Pipe carries only inserted outbox items from the stream to the mail queue", func(t *testing.T) {
		s.tpl.ResourceCountIs(jsii.String("AWS::Pipes::Pipe"), jsii.Number(2))
		s.tpl.HasResourceProperties(jsii.String("AWS::Pipes::Pipe"), streamPipe(
			`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"outboxMessage":{"S":[{"exists":true}]}}}}`,
			map[string]any{"InputTemplate": "<$.dynamodb.NewImage.outboxMessage.S>"},
		))
	})
	t.Run("the events Pipe carries only inserted event items to the customer bus, as their type and detail", func(t *testing.T) {
		s.tpl.HasResourceProperties(jsii.String("AWS::Events::EventBus"), &map[string]any{"Name": "customer-events"})
		s.tpl.HasResourceProperties(jsii.String("AWS::Pipes::Pipe"), streamPipe(
			`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"outboxEvent":{"S":[{"exists":true}]},"eventType":{"S":[{"exists":true}]}}}}`,
			map[string]any{"InputTemplate": "<$.dynamodb.NewImage.outboxEvent.S>",
				"EventBridgeEventBusParameters": map[string]any{"DetailType": "$.dynamodb.NewImage.eventType.S", "Source": "openreg.customers"}},
		))
		allowsOnly(t, s, "EventsPipeRole", "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "sqs:SendMessage", "events:PutEvents")
	})
	t.Run("no scheduled relay remains", func(t *testing.T) {
		s.tpl.ResourcePropertiesCountIs(jsii.String("AWS::Events::Rule"), &map[string]any{"ScheduleExpression": assertions.Match_AnyValue()}, jsii.Number(0))
	})
	t.Run("the Pipe's role reads only the stream and sends only to its queues", func(t *testing.T) {
		allowsOnly(t, s, "OutboxPipeRole", "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "sqs:SendMessage")
	})
}

// streamPipe matches a Pipe from the table's stream to a target's Arn that
// starts at the trim horizon with a dead-letter queue, passes on only the
// records filter matches and sends what targetParameters say.
func streamPipe(filter string, targetParameters map[string]any) *map[string]any {
	return &map[string]any{
		"Source": map[string]any{"Fn::GetAtt": assertions.Match_ArrayWith(&[]any{"StreamArn"})},
		"Target": map[string]any{"Fn::GetAtt": assertions.Match_ArrayWith(&[]any{"Arn"})},
		"SourceParameters": map[string]any{
			"DynamoDBStreamParameters": assertions.Match_ObjectLike(&map[string]any{
				"StartingPosition": "TRIM_HORIZON", "DeadLetterConfig": map[string]any{"Arn": assertions.Match_AnyValue()},
			}),
			"FilterCriteria": map[string]any{"Filters": []any{map[string]any{"Pattern": filter}}},
		},
		"TargetParameters": targetParameters,
	}
}

// allowsOnly fails the test for each action a policy of role allows that is
// not one of allowed.
func allowsOnly(t *testing.T, s synthesized, role string, allowed ...string) {
	t.Helper()
	for _, st := range roleStatements(s, role) {
		for _, a := range actionsOf(st) {
			if !slices.Contains(allowed, a) {
				t.Errorf("%s allows %s", role, a)
			}
		}
	}
}

// policyActions collects, per role, the actions its policies allow.
func policyActions(s synthesized) map[string][]string {
	out := map[string][]string{}
	for _, p := range resources(s, "AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		role := jsonString(props["Roles"])
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			switch a := st.(map[string]any)["Action"].(type) {
			case string:
				out[role] = append(out[role], a)
			case []any:
				for _, x := range a {
					out[role] = append(out[role], x.(string))
				}
			}
		}
	}
	return out
}

func TestLeastPrivilege(t *testing.T) {
	s := synth(t)
	t.Run("no role uses a managed policy", func(t *testing.T) {
		for id, r := range resources(s, "AWS::IAM::Role") {
			if _, ok := r["Properties"].(map[string]any)["ManagedPolicyArns"]; ok {
				t.Errorf("%s has managed policies", id)
			}
		}
	})
	t.Run("no statement allows every action or every resource", func(t *testing.T) {
		for id, p := range resources(s, "AWS::IAM::Policy") {
			for _, st := range p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				m := st.(map[string]any)
				if strings.Contains(jsonString(m["Action"]), `"*"`) || strings.Contains(jsonString(m["Action"]), `:*"`) || jsonString(m["Resource"]) == `"*"` {
					t.Errorf("%s allows %s on %s", id, jsonString(m["Action"]), jsonString(m["Resource"]))
				}
			}
		}
	})
	t.Run("each function has only the services it calls", func(t *testing.T) {
		want := map[string]struct{ has, lacks []string }{
			"Register":    {[]string{"dynamodb:PutItem"}, []string{"sqs:SendMessage", "ses:SendEmail", "dynamodb:Scan", "dynamodb:BatchWriteItem"}},
			"SignIn":      {[]string{"dynamodb:GetItem"}, []string{"sqs:SendMessage", "ses:SendEmail", "dynamodb:Scan"}},
			"VerifyEmail": {[]string{"dynamodb:UpdateItem"}, []string{"sqs:SendMessage", "ses:SendEmail", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchWriteItem"}},
			"Account":     {[]string{"dynamodb:UpdateItem", "dynamodb:Query"}, []string{"sqs:SendMessage", "ses:SendEmail", "dynamodb:Scan", "dynamodb:BatchWriteItem"}},
			"Mailer":      {[]string{"ses:SendEmail", "sqs:ReceiveMessage", "dynamodb:PutItem", "dynamodb:Query"}, []string{"sqs:SendMessage", "dynamodb:Scan", "ses:SendRawEmail", "dynamodb:BatchWriteItem"}},
			"SesEvents":   {[]string{"dynamodb:PutItem", "dynamodb:GetItem"}, []string{"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "sqs:SendMessage", "ses:SendEmail"}},
		}
		actions := policyActions(s)
		for fn, w := range want {
			var mine []string
			for role, acts := range actions {
				if strings.Contains(role, `"`+fn+"Role") {
					mine = append(mine, acts...)
				}
			}
			all := strings.Join(mine, " ")
			for _, a := range w.has {
				if !strings.Contains(all, a) {
					t.Errorf("%s lacks %s (has %s)", fn, a, all)
				}
			}
			for _, a := range w.lacks {
				if strings.Contains(all, a) {
					t.Errorf("%s has %s, which it does not use", fn, a)
				}
			}
		}
	})
}

// statementsOf returns the policy statements of one function's role.
func statementsOf(s synthesized, fn string) []map[string]any {
	return roleStatements(s, functionIDs[fn]+"Role")
}

// roleStatements returns the policy statements of the role whose logical id
// starts with role.
func roleStatements(s synthesized, role string) []map[string]any {
	var out []map[string]any
	for _, p := range resources(s, "AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		if !strings.Contains(jsonString(props["Roles"]), `"`+role) {
			continue
		}
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

// actionsOf lists a statement's actions.
func actionsOf(st map[string]any) []string {
	switch a := st["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// TestTableGrantsAreNarrow: the shape every table grant must have. Whether
// the grants let each function do its work is not checked here against a
// second hand-written list: the integration tests run every function with
// its role from the synthesized template, and a missing grant fails them
// (devstack.Enforcer).
func TestTableGrantsAreNarrow(t *testing.T) {
	s := synth(t)
	t.Run("every DynamoDB statement on the table is limited to leading keys; only the back office queries the status index", func(t *testing.T) {
		for _, fn := range functions.All {
			for _, st := range statementsOf(s, fn) {
				onIndex := strings.Contains(jsonString(st["Resource"]), "/index/byStatus")
				if onIndex && (fn != functions.Admin || !slices.Equal(actionsOf(st), []string{"dynamodb:Query"})) {
					t.Errorf("%s: %s reaches the status index", fn, jsonString(st))
				}
				if strings.HasPrefix(actionsOf(st)[0], "dynamodb:") && !onIndex && !strings.Contains(jsonString(st["Condition"]), `"dynamodb:LeadingKeys"`) {
					t.Errorf("%s: %s has no LeadingKeys condition", fn, jsonString(st))
				}
			}
		}
	})
	t.Run("registration may only query and put subscriptions, confirmation only update them", func(t *testing.T) {
		newsletterOnly := jsonString(map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{"NEWSLETTER#*"}}})
		want := map[string][]string{
			functions.Register:    {"dynamodb:PutItem", "dynamodb:Query"},
			functions.VerifyEmail: {"dynamodb:UpdateItem"},
		}
		got := map[string][]string{}
		for _, fn := range functions.All {
			for _, st := range statementsOf(s, fn) {
				if jsonString(st["Condition"]) == newsletterOnly {
					got[fn] = append(got[fn], actionsOf(st)...)
				}
			}
		}
		for fn, acts := range got {
			if !sameSet(acts, want[fn]) {
				t.Errorf("%s may %v on subscriptions alone, want %v", fn, acts, want[fn])
			}
		}
		for fn := range want {
			if got[fn] == nil {
				t.Errorf("%s has no subscription statement", fn)
			}
		}
	})
	t.Run("no function scans; registration queries an address's subscriptions and nothing else", func(t *testing.T) {
		for _, fn := range functions.All {
			for _, st := range statementsOf(s, fn) {
				acts := actionsOf(st)
				if slices.Contains(acts, "dynamodb:Scan") {
					t.Errorf("%s may scan: %v", fn, acts)
				}
				if !slices.Contains(acts, "dynamodb:Query") || fn == functions.Account || fn == functions.Mailer || fn == functions.Admin {
					continue
				}
				newsletterOnly := jsonString(map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{"NEWSLETTER#*"}}})
				if fn != functions.Register || !slices.Equal(acts, []string{"dynamodb:Query"}) || jsonString(st["Condition"]) != newsletterOnly {
					t.Errorf("%s may query: %v on %s", fn, acts, jsonString(st["Condition"]))
				}
			}
		}
	})
}

// TestEveryPartitionIsGranted: the grants name the store's partitions
// (package keys) and nothing else, and every partition the store writes is
// some function's, so a prefix the store adds cannot go ungranted unnoticed.
func TestEveryPartitionIsGranted(t *testing.T) {
	s := synth(t)
	var granted []string
	for _, fn := range functions.All {
		for _, st := range statementsOf(s, fn) {
			cond, _ := st["Condition"].(map[string]any)
			like, _ := cond["ForAllValues:StringLike"].(map[string]any)
			switch v := like["dynamodb:LeadingKeys"].(type) {
			case string:
				granted = append(granted, v)
			case []any:
				for _, x := range v {
					granted = append(granted, x.(string))
				}
			}
		}
	}
	for _, g := range granted {
		if p, ok := strings.CutSuffix(g, "*"); !ok || !slices.Contains(keys.Partitions, p) {
			t.Errorf("a grant of %q, which is not a partition of package keys followed by *", g)
		}
	}
	for _, p := range keys.Partitions {
		if !slices.ContainsFunc(granted, func(g string) bool { return strings.HasPrefix(p, strings.TrimSuffix(g, "*")) }) {
			t.Errorf("no function is granted the partitions %s*", p)
		}
	}
}

func TestMailerSendsOnlyAsTheStore(t *testing.T) {
	s := synth(t)
	var sends []map[string]any
	for _, fn := range functions.All {
		for _, st := range statementsOf(s, fn) {
			if strings.Contains(jsonString(st["Action"]), `"ses:`) {
				if fn != functions.Mailer {
					t.Errorf("%s may use SES: %s", fn, jsonString(st))
				}
				sends = append(sends, st)
			}
		}
	}
	if len(sends) == 0 {
		t.Fatal("the mailer may not send")
	}
	for _, st := range sends {
		if got := actionsOf(st); !sameSet(got, []string{"ses:SendEmail"}) {
			t.Errorf("actions = %v, want SES v2's SendEmail alone", got)
		}
		if got, want := jsonString(st["Condition"]), `{"StringEquals":{"ses:FromAddress":"no-reply@shop.example"}}`; got != want {
			t.Errorf("condition = %s, want %s", got, want)
		}
		res := jsonString(st["Resource"])
		if !strings.Contains(res, ":identity/") || !strings.Contains(res, ":configuration-set/") {
			t.Errorf("resources = %s, want the identity and the configuration set", res)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestAlarms(t *testing.T) {
	s := synth(t)
	// The three dead-letter queues (mail, outbox Pipe, events Pipe), errors and throttles of every
	// function, the API 5xx rate, code bursts, SES's bounce and complaint rates.
	s.tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(float64(3+2*len(functions.All)+4)))
	for id, a := range resources(s, "AWS::CloudWatch::Alarm") {
		if actions, _ := a["Properties"].(map[string]any)["AlarmActions"].([]any); len(actions) != 1 {
			t.Errorf("%s notifies %d topics, want the operator's one", id, len(actions))
		}
	}
	s.tpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), &map[string]any{"Protocol": "email", "Endpoint": "ops@shop.example"})
	// Well before SES reviews the account (a 5 % bounce, a 0.1 % complaint rate).
	for metric, threshold := range map[string]float64{"Reputation.BounceRate": 0.02, "Reputation.ComplaintRate": 0.0008} {
		s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &map[string]any{
			"Namespace": "AWS/SES", "MetricName": metric, "Threshold": threshold, "ComparisonOperator": "GreaterThanThreshold"})
	}
}

// TestCodeBurstAlarm: the functions that take 6-digit codes turn their
// code_burst log lines into one metric, and an alarm fires on any.
func TestCodeBurstAlarm(t *testing.T) {
	s := synth(t)
	filters := resources(s, "AWS::Logs::MetricFilter")
	var groups []string
	for id, f := range filters {
		p := f["Properties"].(map[string]any)
		if p["FilterPattern"] != `{ $.alert = "code_burst" }` {
			t.Errorf("%s matches %v", id, p["FilterPattern"])
		}
		tr := p["MetricTransformations"].([]any)[0].(map[string]any)
		if tr["MetricName"] != "CodeBurst" || tr["MetricNamespace"] != "CustomerRegistration" {
			t.Errorf("%s counts into %v/%v", id, tr["MetricNamespace"], tr["MetricName"])
		}
		groups = append(groups, jsonString(p["LogGroupName"]))
	}
	if len(groups) != 3 {
		t.Fatalf("%d metric filters, want one per function that takes codes (verify-email, account, sign-in)", len(groups))
	}
	for _, fn := range []string{"VerifyEmailLogs", "AccountLogs", "SignInLogs"} {
		if !slices.ContainsFunc(groups, func(g string) bool { return strings.Contains(g, fn) }) {
			t.Errorf("no metric filter on %s (filters on %v)", fn, groups)
		}
	}
	s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &map[string]any{
		"MetricName": "CodeBurst", "Namespace": "CustomerRegistration", "Threshold": 0, "Statistic": "Sum"})
}

func TestOutputs(t *testing.T) {
	s := synth(t)
	outputs := s.json["Outputs"].(map[string]any)
	for _, name := range []string{"ApiUrl", "TableName", "MailQueueName", "MailDeadLetterQueueName"} {
		if _, ok := outputs[name]; !ok {
			t.Errorf("output %s missing", name)
		}
	}
}

func TestCdkNagAwsSolutionsPasses(t *testing.T) {
	s := synth(t)
	for _, e := range s.errors {
		t.Error(e)
	}
}

func TestCfnLintPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("cfn-lint is Python: -short starts none")
	}
	s := synth(t)
	lint, err := filepath.Abs(filepath.Join("..", "..", ".tools", "venv", "bin", "cfn-lint"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lint); err != nil {
		t.Fatalf("cfn-lint is not installed at %s: run `make tools`", lint)
	}
	cmd := exec.Command(lint, "--config-file", filepath.Join("..", "..", ".cfnlintrc.yaml"), s.template)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

func TestSettingsAreValidatedAtSynth(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"refuses an unknown registration type", `{"registrationType":"Open"}`, "settings.registrationType"},
		{"refuses an unknown key", `{"registrationTyp":"Standard"}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := stack.ValidateSettings([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("a document larger than Lambda's environment is accepted: it travels as a file", func(t *testing.T) {
		if _, _, err := stack.ValidateSettings([]byte(largeSettings())); err != nil {
			t.Error(err)
		}
	})
	t.Run("the example settings are accepted", func(t *testing.T) {
		doc, err := os.ReadFile(filepath.Join("..", "settings.example.json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := stack.ValidateSettings(doc); err != nil {
			t.Error(err)
		}
	})
	t.Run("the defaults are refused: the storefront would be 127.0.0.1", func(t *testing.T) {
		_, _, err := stack.ValidateSettings(nil)
		if err == nil || !strings.Contains(err.Error(), `settings.urls.storefront`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a named publicApi on this machine is refused; an unnamed one is the API's own endpoint", func(t *testing.T) {
		_, _, err := stack.ValidateSettings([]byte(`{"urls":{"publicApi":"http://127.0.0.1:8080","storefront":"https://shop.example","loginPath":"/login"}}`))
		if err == nil || !strings.Contains(err.Error(), `settings.urls.publicApi`) {
			t.Errorf("err = %v", err)
		}
		if _, _, err := stack.ValidateSettings([]byte(`{"urls":{"storefront":"https://shop.example","loginPath":"/login"}}`)); err != nil {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("the app refuses to synthesize without built functions", func(t *testing.T) {
		_, err := stack.PropsFromContext(func(key string) any {
			if key == stack.CtxCodeDir {
				return t.TempDir()
			}
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "make build") {
			t.Errorf("err = %v", err)
		}
	})
}

// largeSettings is a valid document larger than a Lambda environment holds.
func largeSettings() string {
	var consents []string
	for i := range 20 {
		consents = append(consents, fmt.Sprintf(`{"id":"c%d","message":"%s"}`, i, strings.Repeat("x", 200)))
	}
	return `{"urls":{"publicApi":"https://api.shop.example","storefront":"https://shop.example"},"consents":[` + strings.Join(consents, ",") + `]}`
}

// urlsDoc is a settings document with these URLs and nothing else wrong.
func urlsDoc(publicAPI, storefront string, origins ...string) string {
	u := map[string]any{"publicApi": publicAPI, "storefront": storefront}
	if len(origins) > 0 {
		u["allowedOrigins"] = origins
	}
	return jsonString(map[string]any{"urls": u})
}

func TestDeployedStacksNeedPublicHTTPSURLs(t *testing.T) {
	const api, shop = "https://api.shop.example", "https://shop.example"
	tests := []struct{ key, value, doc string }{
		{"urls.publicApi", "http://api.shop.example", urlsDoc("http://api.shop.example", shop)},
		{"urls.publicApi", "https://127.0.0.1", urlsDoc("https://127.0.0.1", shop)},
		{"urls.publicApi", "https://127.8.9.10:8443", urlsDoc("https://127.8.9.10:8443", shop)},
		{"urls.publicApi", "https://localhost", urlsDoc("https://localhost", shop)},
		{"urls.publicApi", "https://LocalHost.", urlsDoc("https://LocalHost.", shop)},
		{"urls.publicApi", "https://api.localhost:8443", urlsDoc("https://api.localhost:8443", shop)},
		{"urls.publicApi", "https://[::1]", urlsDoc("https://[::1]", shop)},
		{"urls.publicApi", "https://[::ffff:127.0.0.1]", urlsDoc("https://[::ffff:127.0.0.1]", shop)},
		{"urls.publicApi", "https://0.0.0.0", urlsDoc("https://0.0.0.0", shop)},
		{"urls.publicApi", "https://[::]", urlsDoc("https://[::]", shop)},
		{"urls.publicApi", "https://127.1", urlsDoc("https://127.1", shop)},
		{"urls.publicApi", "https://2130706433", urlsDoc("https://2130706433", shop)},
		{"urls.publicApi", "https://0x7f.0.0.1", urlsDoc("https://0x7f.0.0.1", shop)},
		{"urls.publicApi", "https://0177.0.0.1", urlsDoc("https://0177.0.0.1", shop)},
		{"urls.publicApi", "https://0", urlsDoc("https://0", shop)},
		{"urls.storefront", "http://127.0.0.1:8080", urlsDoc(api, "http://127.0.0.1:8080")},
		{"urls.storefront", "https://localhost:3000/shop", urlsDoc(api, "https://localhost:3000/shop")},
		{"urls.storefront", "https:///shop", urlsDoc(api, "https:///shop")},
		{"urls.allowedOrigins[0]", "https://0.0.0.0", urlsDoc(api, shop, "https://0.0.0.0")},
		{"urls.allowedOrigins[1]", "http://localhost:3000", urlsDoc(api, shop, "https://admin.shop.example", "http://localhost:3000")},
		{"urls.allowedOrigins[0]", "http://admin.shop.example", urlsDoc(api, shop, "http://admin.shop.example")},
		// Reported even when other settings are wrong too.
		{"urls.publicApi", "http://127.0.0.1:8080", `{"registrationType":"Open","urls":{"publicApi":"http://127.0.0.1:8080","storefront":"https://shop.example"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, _, err := stack.ValidateSettings([]byte(tt.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			named := false
			for _, line := range strings.Split(err.Error(), "\n") {
				named = named || (strings.HasPrefix(line, "settings."+tt.key+": ") && strings.Contains(line, "deployed stack") && strings.HasSuffix(line, strconv.Quote(tt.value)))
			}
			if !named {
				t.Errorf("err = %v, want a line naming %s and %q", err, tt.key, tt.value)
			}
		})
	}
	t.Run("every bad URL is named at once", func(t *testing.T) {
		_, _, err := stack.ValidateSettings([]byte(urlsDoc("http://127.0.0.1:8080", "https://localhost", "https://ok.shop.example", "http://0.0.0.0")))
		for _, key := range []string{"urls.publicApi", "urls.storefront", "urls.allowedOrigins[1]"} {
			if err == nil || !strings.Contains(err.Error(), "settings."+key+": ") {
				t.Errorf("err = %v, want %s named", err, key)
			}
		}
		if err != nil && strings.Contains(err.Error(), "allowedOrigins[0]") {
			t.Errorf("err = %v names the good origin", err)
		}
	})
	for _, good := range []string{"https://api.shop.example", "https://shop.example:8443", "https://127.example", "https://localhost.example",
		"https://api.localhost.shop.example", "https://[2001:db8::1]", "https://10.0.0.5", "https://0x7f.example"} {
		t.Run("accepts "+good, func(t *testing.T) {
			if _, _, err := stack.ValidateSettings([]byte(urlsDoc(good, good, good))); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestContext(t *testing.T) {
	code := t.TempDir()
	fakeCode(t, code)
	base := map[string]any{stack.CtxCodeDir: code, stack.CtxSettingsFile: filepath.Join("..", "settings.example.json")}
	props := func(extra map[string]any) (stack.AppProps, error) {
		return stack.PropsFromContext(func(key string) any {
			if v, ok := extra[key]; ok {
				return v
			}
			return base[key]
		})
	}
	t.Run("a domain without a certificate or a zone is refused", func(t *testing.T) {
		if _, err := props(map[string]any{stack.CtxDomainName: "api.shop.example"}); err == nil || !strings.Contains(err.Error(), stack.CtxCertificateArn) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a domain sets urls.publicApi, and settings naming another are refused", func(t *testing.T) {
		got, err := props(map[string]any{stack.CtxDomainName: "api.shop.example", stack.CtxHostedZoneID: "Z0123456789ABC"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Props.Settings.URLs.PublicAPI != "https://api.shop.example" {
			t.Errorf("publicApi = %q", got.Props.Settings.URLs.PublicAPI)
		}
		_, err = props(map[string]any{stack.CtxDomainName: "api.other.example", stack.CtxHostedZoneID: "Z0123456789ABC"})
		if err == nil || !strings.Contains(err.Error(), "contradicts") {
			t.Errorf("a contradicting publicApi: %v", err)
		}
	})
	t.Run("unset numbers leave the stack's defaults", func(t *testing.T) {
		got, err := props(nil)
		if err != nil {
			t.Fatal(err)
		}
		p := got.Props
		if p.ThrottleRate != 0 || p.ThrottleBurst != 0 || p.RouteThrottleRate != 0 || p.RouteThrottleBurst != 0 || p.ReservedConcurrency != nil {
			t.Errorf("props = %+v", p)
		}
	})
	t.Run("numbers come from -c (text) or cdk.json (numbers)", func(t *testing.T) {
		got, err := props(map[string]any{stack.CtxRouteThrottleRate: "2.5", stack.CtxRouteThrottleBurst: float64(5), stack.CtxReservedConcurrency: "0",
			stack.CtxThrottleRate: float64(40), stack.CtxThrottleBurst: " 80 "})
		if err != nil {
			t.Fatal(err)
		}
		p := got.Props
		if p.RouteThrottleRate != 2.5 || p.RouteThrottleBurst != 5 || p.ReservedConcurrency == nil || *p.ReservedConcurrency != 0 || p.ThrottleRate != 40 || p.ThrottleBurst != 80 {
			t.Errorf("props = %+v", p)
		}
		if got, _ := props(map[string]any{stack.CtxReservedConcurrency: float64(25)}); got.Props.ReservedConcurrency == nil || *got.Props.ReservedConcurrency != 25 {
			t.Errorf("reservedConcurrency 25 read as %v", got.Props.ReservedConcurrency)
		}
	})
	bad := []struct {
		key   string
		value any
	}{
		{stack.CtxRouteThrottleRate, "0"},
		{stack.CtxRouteThrottleRate, "-1"},
		{stack.CtxRouteThrottleRate, "fast"},
		{stack.CtxRouteThrottleRate, "NaN"},
		{stack.CtxRouteThrottleRate, "Inf"},
		{stack.CtxRouteThrottleRate, float64(-3)},
		{stack.CtxRouteThrottleRate, true},
		{stack.CtxRouteThrottleBurst, "0"},
		{stack.CtxRouteThrottleBurst, "1.5"},
		{stack.CtxThrottleRate, float64(0)},
		{stack.CtxThrottleBurst, float64(2.5)},
		{stack.CtxReservedConcurrency, "-1"},
		{stack.CtxReservedConcurrency, "2.5"},
		{stack.CtxReservedConcurrency, "many"},
		{stack.CtxReservedConcurrency, float64(-1)},
	}
	for _, tt := range bad {
		t.Run(fmt.Sprintf("refuses %s=%v", tt.key, tt.value), func(t *testing.T) {
			_, err := props(map[string]any{tt.key: tt.value})
			if err == nil || !strings.Contains(err.Error(), "context "+tt.key+" must be") {
				t.Errorf("err = %v", err)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		_, err := props(map[string]any{stack.CtxRouteThrottleRate: "0", stack.CtxRouteThrottleBurst: "x", stack.CtxReservedConcurrency: "-5"})
		for _, key := range []string{stack.CtxRouteThrottleRate, stack.CtxRouteThrottleBurst, stack.CtxReservedConcurrency} {
			if err == nil || !strings.Contains(err.Error(), "context "+key+" ") {
				t.Errorf("err = %v, want %s named", err, key)
			}
		}
	})
}

// cfnLint runs cfn-lint on a synthesized template.
func cfnLint(t *testing.T, tpl map[string]any) {
	t.Helper()
	if testing.Short() {
		return // cfn-lint is Python: -short starts none
	}
	lint, err := filepath.Abs(filepath.Join("..", "..", ".tools", "venv", "bin", "cfn-lint"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "template.json")
	if err := os.WriteFile(file, []byte(jsonString(tpl)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(lint, "--config-file", filepath.Join("..", "..", ".cfnlintrc.yaml"), file).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// functionEnv is one function's environment in a template.
func functionEnv(tpl map[string]any, fn string) map[string]any {
	for _, r := range resourcesOf(tpl, "AWS::Lambda::Function") {
		p := r["Properties"].(map[string]any)
		if strings.Contains(jsonString(p["Tags"]), `"Value":"`+fn+`"`) {
			env, _ := p["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			return vars
		}
	}
	return nil
}

// TestTheShopsOwnDomain: with context domainName the API is served on the
// shop's domain (a certificate named, or one validated in a Route 53 zone
// with the alias record) and the execute-api endpoint is off; without one,
// and with no urls.publicApi in the settings, every function learns the
// API's endpoint in the same deploy.
func TestTheShopsOwnDomain(t *testing.T) {
	synth(t)
	const domain = "api.shop.example"
	const certARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666"
	one := func(t *testing.T, tpl map[string]any, typ string) map[string]any {
		t.Helper()
		rs := resourcesOf(tpl, typ)
		if len(rs) != 1 {
			t.Fatalf("%d %s, want 1", len(rs), typ)
		}
		for _, r := range rs {
			p, _ := r["Properties"].(map[string]any)
			return p
		}
		return nil
	}
	t.Run("a certificate ARN serves the API on the domain alone", func(t *testing.T) {
		tpl := synthWith(t, stack.Props{Domain: stack.Domain{Name: domain, CertificateArn: certARN}})
		dn := one(t, tpl, "AWS::ApiGatewayV2::DomainName")
		if dn["DomainName"] != domain || !strings.Contains(jsonString(dn["DomainNameConfigurations"]), certARN) {
			t.Errorf("domain = %s", jsonString(dn))
		}
		one(t, tpl, "AWS::ApiGatewayV2::ApiMapping")
		if api := one(t, tpl, "AWS::ApiGatewayV2::Api"); api["DisableExecuteApiEndpoint"] != true {
			t.Errorf("the execute-api endpoint is still on: %s", jsonString(api))
		}
		if env := functionEnv(tpl, functions.Register); env["API_URL"] != nil {
			t.Errorf("API_URL = %v beside a custom domain", env["API_URL"])
		}
		cfnLint(t, tpl)
	})
	t.Run("a hosted zone gets a DNS-validated certificate and the alias record", func(t *testing.T) {
		tpl := synthWith(t, stack.Props{Domain: stack.Domain{Name: domain, HostedZoneID: "Z0123456789ABCDEFGHIJ"}})
		cert := one(t, tpl, "AWS::CertificateManager::Certificate")
		if cert["DomainName"] != domain || cert["ValidationMethod"] != "DNS" || !strings.Contains(jsonString(cert["DomainValidationOptions"]), "Z0123456789ABCDEFGHIJ") {
			t.Errorf("certificate = %s", jsonString(cert))
		}
		rec := one(t, tpl, "AWS::Route53::RecordSet")
		if rec["Name"] != domain+"." || rec["Type"] != "A" || rec["HostedZoneId"] != "Z0123456789ABCDEFGHIJ" || rec["AliasTarget"] == nil {
			t.Errorf("record = %s", jsonString(rec))
		}
		cfnLint(t, tpl)
	})
	t.Run("without a domain or publicApi every function knows the API's endpoint", func(t *testing.T) {
		tpl := synthDoc(t, `{"storeName":"Test Shop","urls":{"storefront":"https://shop.example","loginPath":"/login"},"mailFrom":"no-reply@shop.example"}`, stack.Props{})
		for _, fn := range functions.All {
			if got := jsonString(functionEnv(tpl, fn)["API_URL"]); !strings.HasPrefix(got, `{"Fn::GetAtt":["Api`) || !strings.HasSuffix(got, `"ApiEndpoint"]}`) {
				t.Errorf("%s: API_URL = %s, want the API's endpoint", fn, got)
			}
		}
		if len(resourcesOf(tpl, "AWS::ApiGatewayV2::DomainName")) != 0 {
			t.Error("a custom domain without domainName")
		}
		cfnLint(t, tpl)
	})
}

// TestServerKeysAreGrantedToTheStorefrontsFunctions: each server key is
// readable by the functions a server storefront calls, and by no other.
func TestServerKeysAreGrantedToTheStorefrontsFunctions(t *testing.T) {
	synth(t)
	doc := strings.Replace(settingsDoc, `"mailFrom"`, `"serverKeys":[{"id":"ssr","secret":"ssm:/shop/ssr-key","ceiling":{"max":5000,"window":"1h"}}],"mailFrom"`, 1)
	tpl := synthDoc(t, doc, stack.Props{})
	readers := map[string]bool{}
	for _, fn := range functions.All {
		for _, r := range resourcesOf(tpl, "AWS::IAM::Policy") {
			b := jsonString(r)
			if strings.Contains(b, "ssm:GetParameter") && strings.Contains(b, "parameter/shop/ssr-key") && strings.Contains(b, roleOf(tpl, fn)) {
				readers[fn] = true
			}
		}
	}
	want := map[string]bool{functions.Register: true, functions.SignIn: true, functions.VerifyEmail: true, functions.Account: true, functions.Cart: true}
	if !reflect.DeepEqual(readers, want) {
		t.Errorf("functions that may read the key: %v, want %v", readers, want)
	}
	if _, _, err := stack.ValidateSettings([]byte(strings.Replace(doc, "ssm:/shop/ssr-key", "file:/tmp/k", 1))); err == nil || !strings.Contains(err.Error(), "serverKeys[0].secret") {
		t.Errorf("a file: key in a deployment: %v", err)
	}
}

// roleOf is the logical id of a function's role, as a policy names it.
func roleOf(tpl map[string]any, fn string) string {
	for _, r := range resourcesOf(tpl, "AWS::Lambda::Function") {
		p := r["Properties"].(map[string]any)
		if strings.Contains(jsonString(p["Tags"]), `"Value":"`+fn+`"`) {
			return jsonString(p["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0])
		}
	}
	return "no such function"
}
