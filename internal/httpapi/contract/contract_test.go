package contract_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/httpapi/contract"
)

func TestDocumentDescribesExactlyTheServedRoutes(t *testing.T) {
	spec, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, r := range httpapi.Routes {
		served = append(served, r.Method+" "+r.Path)
	}
	sort.Strings(served)
	if got, want := strings.Join(spec.Operations(), "\n"), strings.Join(served, "\n"); got != want {
		t.Errorf("OpenAPI operations:\n%s\n\nserved routes:\n%s", got, want)
	}
}

func TestCheck(t *testing.T) {
	spec, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		body        string
		wantErr     string
	}{
		{"accepts a declared pending answer", "POST", "/v1/customers", 202, "application/json",
			`{"status":"pending_verification","next":"verify_email","registrationId":"3f1c2d3e-0000-4000-8000-000000000000"}`, ""},
		{"refuses an undeclared status", "POST", "/v1/customers", 418, "application/json", `{}`, "status is not supported"},
		{"refuses an undeclared property", "POST", "/v1/customers", 202, "application/json",
			`{"status":"pending_verification","next":"verify_email","customerId":"x"}`, `property "customerId" is unsupported`},
		{"refuses a value outside the enum", "POST", "/v1/customers", 202, "application/json",
			`{"status":"maybe","next":"verify_email"}`, "is not one of"},
		{"refuses a missing required property", "POST", "/v1/sessions", 200, "application/json",
			`{"customerId":"c","redirect":"/","sessionToken":"t"}`, `property "expiresAt" is missing`},
		{"refuses a malformed date-time", "POST", "/v1/sessions", 200, "application/json",
			`{"customerId":"c","redirect":"/","sessionToken":"t","expiresAt":"tomorrow"}`, "date-time"},
		{"refuses an undeclared content type", "POST", "/v1/sessions", 401, "application/json",
			`{}`, "Content-Type has unexpected value"},
		{"accepts a problem", "POST", "/v1/sessions", 401, "application/problem+json",
			`{"type":"urn:problem:invalid_credentials","title":"Unauthorized","status":401,"detail":"x","code":"invalid_credentials"}`, ""},
		{"refuses a problem with an unknown code", "POST", "/v1/sessions", 401, "application/problem+json",
			`{"type":"t","title":"t","status":401,"detail":"x","code":"nope"}`, "is not one of"},
		{"refuses an unknown operation", "PATCH", "/v1/customers", 200, "application/json", `{}`, "not in the OpenAPI document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := spec.Check(tt.method, tt.path, tt.status, tt.contentType, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestTypeScriptClient: openapi-typescript (pinned, `make tools` installs it
// under .tools/oas) generates a storefront's types from the document, and a
// client written against them (testdata/client.ts) compiles with tsc
// --strict: the document is one a storefront can generate a client from.
func TestTypeScriptClient(t *testing.T) {
	bin, err := filepath.Abs(filepath.Join("..", "..", "..", ".tools", "oas", "node_modules", ".bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(bin, "openapi-typescript")); err != nil {
		t.Fatalf("openapi-typescript is not installed under %s: run `make tools`", bin)
	}
	dir := t.TempDir()
	client, err := os.ReadFile(filepath.Join("testdata", "client.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.ts"), client, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	doc, err := filepath.Abs("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	run("openapi-typescript", doc, "--output", filepath.Join(dir, "api.d.ts"))
	run("tsc", "--strict", "--noEmit", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler", "--lib", "es2022,dom", "client.ts")
}
