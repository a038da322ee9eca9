package importer_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/importer"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
)

const token = "import-test-token"

// api is the real system on the in-memory store behind the local gateway;
// fail, when set, answers a request instead (an outage).
func api(t *testing.T, fail func(n int64) bool) (string, *memstore.Store) {
	t.Helper()
	s := settings.Default()
	s.PasswordHashing = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}
	clk := storetest.NewClock(storetest.Start)
	st := memstore.New(clk.Now)
	log := slog.New(slog.DiscardHandler)
	sys, err := app.NewSystem(config.Config{Table: "t", Settings: s}, st, app.Clients{}, app.Runtime{Now: clk.Now, Random: rand.Reader, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	functions := map[string]httpapi.LambdaHandler{}
	for _, r := range httpapi.Routes {
		functions[r.Function] = sys.API.Handler(r.Function)
	}
	gw := devstack.NewGateway(httpapi.Routes, functions, log, clk.Now).WithAdminToken(token)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail != nil && fail(n.Add(1)) {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"code":"service_unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		gw.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, st
}

// file is n customers as JSON Lines, with the odd lines given.
func file(n int, odd map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if l, ok := odd[i]; ok {
			b.WriteString(l + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"email":"c%d@old-shop.example","externalId":"c%d","emailVerified":true,"firstName":"Old","lastName":"Customer"}`+"\n", i, i)
	}
	return b.String()
}

func customers(st *memstore.Store) int {
	all, _ := st.Stored()
	return len(all)
}

func TestRun(t *testing.T) {
	url, st := api(t, nil)
	in := file(252, map[int]string{7: `{"email":"c7@old-shop`, 130: `{"email":"not an address","externalId":"c130","firstName":"A","lastName":"B"}`})
	var skipped []importer.Skipped
	var done []int
	sum, err := importer.Run(context.Background(), strings.NewReader(in), 0, importer.Options{API: url, Auth: importer.Token(token),
		Concurrency: 3, Report: func(s importer.Skipped) error { skipped = append(skipped, s); return nil },
		Done: func(n int) error { done = append(done, n); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Lines != 252 || sum.Imported != 250 || sum.Skipped != 2 || sum.Batches != 3 {
		t.Errorf("summary %+v, want 252 lines, 250 imported, 2 skipped in 3 batches", sum)
	}
	if len(skipped) != 2 || skipped[0] != (importer.Skipped{Line: 7, Code: "malformed_line"}) ||
		skipped[1] != (importer.Skipped{Line: 130, ExternalID: "c130", Code: "invalid_email"}) {
		t.Errorf("report %+v, want line 7 malformed and line 130's address", skipped)
	}
	if len(done) != 3 || done[2] != 252 || done[0] >= done[1] {
		t.Errorf("state after each batch %v, want rising to 252", done)
	}
	if n := customers(st); n != 250 {
		t.Errorf("%d customers stored, want 250", n)
	}
}

// TestRunResumes: an outage stops a run with the state at the last
// contiguous batch the API took; the next run from there imports the rest,
// and nothing twice.
func TestRunResumes(t *testing.T) {
	down := atomic.Bool{}
	url, st := api(t, func(n int64) bool { return down.Load() || n == 3 })
	in := file(500, nil)
	state := 0
	opts := importer.Options{API: url, Auth: importer.Token(token), Concurrency: 2, Attempts: 2, Pause: time.Millisecond,
		Done: func(n int) error { state = n; return nil },
		Progress: func(s importer.Summary) {
			if s.Batches == 2 {
				down.Store(true) // the API goes down after two batches
			}
		}}
	if _, err := importer.Run(context.Background(), strings.NewReader(in), 0, opts); err == nil {
		t.Fatal("a run through an outage reported success")
	}
	if state%100 != 0 || state >= 500 {
		t.Fatalf("state %d after the outage, want whole batches short of the end", state)
	}
	down.Store(false)
	stopped := state
	var already int
	opts.Report = func(s importer.Skipped) error {
		if s.Code == "already_imported" {
			already++
		}
		return nil
	}
	opts.Progress = nil
	sum, err := importer.Run(context.Background(), strings.NewReader(in), stopped, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Lines != 500 || customers(st) != 500 {
		t.Errorf("after resuming from %d: %+v and %d customers, want all 500 once", stopped, sum, customers(st))
	}
	if sum.Imported+already != 500-stopped {
		t.Errorf("resumed run imported %d and found %d imported before, want the %d lines after the state", sum.Imported, already, 500-stopped)
	}
}

func TestSigV4(t *testing.T) {
	s := importer.SigV4{Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), Region: "eu-central-1",
		Now: func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) }}
	sign := func(body string) string {
		r := httptest.NewRequest(http.MethodPost, "https://abc.execute-api.eu-central-1.amazonaws.com"+importer.Route, strings.NewReader(body))
		if err := s.Authorize(context.Background(), r, []byte(body)); err != nil {
			t.Fatal(err)
		}
		if r.Header.Get("X-Amz-Date") != "20261207T100000Z" {
			t.Errorf("X-Amz-Date = %q", r.Header.Get("X-Amz-Date"))
		}
		return r.Header.Get("Authorization")
	}
	a, b := sign(`{"customers":[1]}`), sign(`{"customers":[2]}`)
	if !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/eu-central-1/execute-api/aws4_request") {
		t.Errorf("Authorization = %q", a)
	}
	if a == b {
		t.Error("the signature does not cover the body")
	}
}

func TestLine(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	s := importer.Summary{Lines: 300, Imported: 290, Skipped: 10, Started: start}
	got := importer.Line(s, 100, 1100, start.Add(10*time.Second), 10)
	if want := "[==        ] 300/1100 lines  290 imported  10 skipped  20/s  ETA 40s"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	if got := importer.Line(s, 100, 1100, start.Add(10*time.Second), 0); strings.HasPrefix(got, "[") {
		t.Errorf("a plain line has a bar: %q", got)
	}
}

// TestTheExampleFileImports: the example file (one customer of each
// format, and one without a password) imports whole, and its customers
// sign in with the vectors' password.
func TestTheExampleFileImports(t *testing.T) {
	url, _ := api(t, nil)
	in, err := os.ReadFile("../../infra/import/testdata/customers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var skipped []importer.Skipped
	sum, err := importer.Run(context.Background(), strings.NewReader(string(in)), 0, importer.Options{API: url, Auth: importer.Token(token),
		Report: func(s importer.Skipped) error { skipped = append(skipped, s); return nil }})
	if err != nil || sum.Imported != 9 || len(skipped) != 0 {
		t.Fatalf("imported %d, skipped %+v: %v", sum.Imported, skipped, err)
	}
	for _, format := range []string{"phpass", "magento2", "nopcommerce", "wordpressbcrypt"} {
		resp, err := http.Post(url+"/v1/sessions", "application/json",
			strings.NewReader(`{"login":"`+format+`.customer@old-shop.example","password":"correct horse battery"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s's customer signs in: %d", format, resp.StatusCode)
		}
	}
}

// TestEntriesNotAttemptedGoAgain: a call that ran short of time answers the
// entries it did not begin not_attempted (admin.Import); they go again, and
// the batch is done when all of them are.
func TestEntriesNotAttemptedGoAgain(t *testing.T) {
	var calls []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Customers []json.RawMessage `json:"customers"`
		}
		_ = json.NewDecoder(r.Body).Decode(&b)
		calls = append(calls, len(b.Customers))
		if len(calls) == 1 { // the first call takes half
			var skipped []string
			for i := len(b.Customers) / 2; i < len(b.Customers); i++ {
				skipped = append(skipped, fmt.Sprintf(`{"index":%d,"code":"not_attempted"}`, i))
			}
			fmt.Fprintf(w, `{"imported":%d,"skipped":[%s]}`, len(b.Customers)/2, strings.Join(skipped, ","))
			return
		}
		fmt.Fprintf(w, `{"imported":%d,"skipped":[]}`, len(b.Customers))
	}))
	defer srv.Close()
	sum, err := importer.Run(context.Background(), strings.NewReader(file(100, nil)), 0, importer.Options{API: srv.URL, Concurrency: 1, Pause: time.Millisecond})
	if err != nil || sum.Imported != 100 || sum.Skipped != 0 || len(calls) != 2 || calls[1] != 50 {
		t.Errorf("summary %+v, calls %v, %v; want all 100 imported, the second call with the 50 left", sum, calls, err)
	}
}
