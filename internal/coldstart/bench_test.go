package coldstart

// The benchmarks build every function's bootstrap in the same run, execute
// each against the Runtime API stub with the environment infra/stack gives it,
// and let it call DynamoDB Local and moto (started by TestMain only when
// -bench is given). Each benchmark does one fixed measurement and prints a
// table; b.N is not used, so run them with the default -benchtime (or
// -benchtime=1x):
//
//	go test -run='^$' -bench=. ./internal/coldstart
//
// The figures are this machine's, with local emulators: compare functions
// with each other and with the hello-world baseline, not with AWS. `go test`
// runs packages in parallel, so for quiet figures run this package alone
// (or with -p 1) on an otherwise idle machine.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/sizing"
	"github.com/openreg/registration/internal/store"
	"github.com/openreg/registration/internal/testenv"
)

const (
	// coldRuns fresh processes per function give each median.
	coldRuns = 15
	// memoryInvocations run through one process before its peak RSS is read.
	memoryInvocations = 1000
	// sizeWarmups and sizeSamples are the invocations per memory size that
	// are discarded and measured.
	sizeWarmups, sizeSamples = 3, 15

	// Targets of the issue.
	targetInitRatio  = 1.3        // init at most 1.3 × the mailer's
	targetArm64Bytes = 12_000_000 // 12 MB per bootstrap
	targetMemoryMB   = 256        // the functions' smallest memory size

	helloName = "hello-world"
	// cfsPeriod is short so that a quota of a few milliseconds is spread
	// over an invocation instead of arriving in 100 ms steps (the kernel's
	// default period), yet long enough that 128 MB's share stays above the
	// kernel's 1 ms minimum quota.
	cfsPeriod = 20 * time.Millisecond
)

// memorySizes are the Lambda memory sizes whose CPU share BenchmarkMemorySizes
// emulates.
var memorySizes = []int{128, 256, 512, 1024, 1769}

// eventFiles name each function's event under events/; a function not
// listed (or whose file is gone) is invoked with events/<name>*.json if
// there is one, and only its init is measured if not.
var eventFiles = map[string]string{
	functions.Register:    "register.json",
	functions.SignIn:      "sign-in.json",
	functions.VerifyEmail: "verify-email-page.json",
	functions.Mailer:      "mailer-sqs-batch.json",
	functions.SESEvents:   "ses-bounce.json",
}

// profile is how a function is deployed: infra/stack's memory size and
// timeout, from internal/sizing.
type profile struct {
	memoryMB int
	timeout  time.Duration
}

func profileOf(name string) profile {
	p := profile{memoryMB: 256, timeout: 10 * time.Second}
	if name == helloName {
		return profile{memoryMB: 128, timeout: 3 * time.Second}
	}
	if mb, ok := sizing.MemoryMB[name]; ok {
		p.memoryMB = mb
	}
	if s, ok := sizing.TimeoutSeconds[name]; ok {
		p.timeout = time.Duration(s) * time.Second
	}
	return p
}

// fixture is what every benchmark shares: the bootstraps built for this
// host and their linux/arm64 sizes, the events, the emulators' environment.
type fixture struct {
	root      string
	dir       string
	functions []string          // names under functions/, sorted
	host      map[string]string // name -> bootstrap built for this host
	arm64     map[string]int64  // name -> size of its linux/arm64 bootstrap
	buildErr  map[string]error
	events    map[string][]byte // name -> its event (absent: none)
	eventFile map[string]string
	emuEnv    []string
	buildTook time.Duration
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func getFixture(b *testing.B) *fixture {
	b.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture(b) })
	if fixErr != nil {
		b.Fatal(fixErr)
	}
	return fix
}

func cleanupFixture() {
	if fix != nil {
		os.RemoveAll(fix.dir)
	}
}

func newFixture(b *testing.B) (*fixture, error) {
	wd, _ := os.Getwd()
	root, err := devstack.ModuleRoot(wd)
	if err != nil {
		return nil, err
	}
	names, err := devstack.Functions(root)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "openreg-coldstart-")
	if err != nil {
		return nil, err
	}
	f := &fixture{
		root: root, dir: dir, functions: names,
		host: map[string]string{}, arm64: map[string]int64{}, buildErr: map[string]error{},
		events: map[string][]byte{}, eventFile: map[string]string{},
	}
	for k, v := range testenv.Stack(b).Env() {
		f.emuEnv = append(f.emuEnv, k+"="+v)
	}
	sort.Strings(f.emuEnv)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	for _, name := range append([]string{helloName}, names...) {
		pkg := "./functions/" + name
		if name == helloName {
			pkg = "./internal/coldstart/testdata/hello/main.go"
		}
		hostBin := filepath.Join(dir, runtime.GOARCH, name, "bootstrap")
		armBin := filepath.Join(dir, "arm64-linux", name, "bootstrap")
		if err := devstack.Build(ctx, root, pkg, hostBin, runtime.GOOS, runtime.GOARCH); err != nil {
			f.buildErr[name] = err
			continue
		}
		f.host[name] = hostBin
		if err := devstack.Build(ctx, root, pkg, armBin, "linux", "arm64"); err != nil {
			f.buildErr[name] = err
			continue
		}
		if st, err := os.Stat(armBin); err == nil {
			f.arm64[name] = st.Size()
		}
	}
	f.buildTook = time.Since(start)
	if len(f.host) <= 1 {
		return f, fmt.Errorf("coldstart: no function built: %v", f.buildErr)
	}
	for _, name := range names {
		file := f.findEvent(name)
		if file == "" {
			continue
		}
		ev, err := os.ReadFile(filepath.Join(root, "events", file))
		if err != nil {
			return f, err
		}
		f.events[name], f.eventFile[name] = ev, file
	}
	f.events[helloName], f.eventFile[helloName] = []byte(`{}`), "{}"
	return f, nil
}

// findEvent is the function's file in eventFiles if it exists, else the
// first events/<name>*.json, else "".
func (f *fixture) findEvent(name string) string {
	if file, ok := eventFiles[name]; ok {
		if _, err := os.Stat(filepath.Join(f.root, "events", file)); err == nil {
			return file
		}
	}
	m, _ := filepath.Glob(filepath.Join(f.root, "events", name+"*.json"))
	if len(m) == 0 {
		return ""
	}
	return filepath.Base(m[0])
}

// deploy creates a table, mail queue and SES identity as the CDK stack does
// and returns the function environment for them: infra/stack's variables
// plus the emulators' endpoints and credentials.
func (f *fixture) deploy(b *testing.B, s settings.Settings) []string {
	b.Helper()
	doc, err := json.Marshal(s)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := settings.Parse(doc); err != nil {
		b.Fatalf("settings do not survive %s: %v", config.EnvSettings, err)
	}
	c := testenv.Clients(b)
	table := testenv.Name("coldstart")
	if err := store.CreateTable(context.Background(), c.DynamoDB, table); err != nil {
		b.Fatalf("setup: %v", err)
	}
	return append(append([]string(nil), f.emuEnv...),
		config.EnvTable+"="+table,
		config.EnvSettings+"="+string(doc),
		config.EnvLogLevel+"=INFO",
	)
}

// productionSettings are the defaults (double opt-in, throttles on) with
// the e2e tests' URLs and sender, and OWASP's argon2id parameters: what is
// deployed, and so what a cold start pays for.
func productionSettings() settings.Settings {
	s := settings.Default()
	s.PasswordHashing = password.OWASPParams()
	s.URLs = settings.URLs{PublicAPI: "https://api.shop.example", Storefront: "https://shop.example", LoginPath: "/login"}
	s.MailFrom = "no-reply@shop.example"
	s.StoreName = "Test Shop"
	return s
}

// steadySettings make accounts active at once (so sign-in has one to sign
// into) and turn the throttles off, so a thousand invocations from one
// client measure the work and not the 429 answers; argon2id stays at
// OWASP's parameters.
func steadySettings() settings.Settings {
	s := productionSettings()
	s.RegistrationType = settings.Standard
	s.SignInThrottle = settings.SignInThrottle{}
	s.ClientLimits = settings.ClientLimits{}
	return s
}

// The events' customer and client address, replaced to make invocations
// distinct.
const (
	eventEmail    = "ada@example.com"
	eventClientIP = "203.0.113.7"
	eventPassword = "correct horse battery"
)

func withEmail(ev []byte, email string) []byte {
	return bytes.ReplaceAll(ev, []byte(eventEmail), []byte(email))
}

// start runs a function's bootstrap and waits for its init.
func (f *fixture) start(name string, env []string, memoryMB int) (*Process, time.Duration, error) {
	p := profileOf(name)
	if memoryMB == 0 {
		memoryMB = p.memoryMB
	}
	proc, err := Start(Options{Binary: f.host[name], FunctionName: name, MemoryMB: memoryMB, Timeout: p.timeout, Env: env})
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	init, err := proc.Init(ctx)
	if err != nil {
		proc.Stop()
		return nil, 0, err
	}
	return proc, init, nil
}

func invoke(p *Process, name string, ev []byte) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), profileOf(name).timeout+5*time.Second)
	defer cancel()
	r, err := p.Invoke(ctx, ev)
	if err != nil {
		return r, fmt.Errorf("%w\noutput:\n%s", err, p.Output())
	}
	return r, nil
}

// answer summarises a result: the HTTP status of an API Gateway response,
// the failed items of a batch response, or the error type.
func answer(r Result) string {
	if r.Failed {
		return "error " + r.ErrorType
	}
	var v struct {
		StatusCode        int               `json:"statusCode"`
		BatchItemFailures []json.RawMessage `json:"batchItemFailures"`
	}
	if json.Unmarshal(r.Payload, &v) == nil {
		switch {
		case v.StatusCode != 0:
			return fmt.Sprintf("HTTP %d", v.StatusCode)
		case v.BatchItemFailures != nil:
			return fmt.Sprintf("%d items failed", len(v.BatchItemFailures))
		}
	}
	return "ok"
}

func statusCode(r Result) int {
	var v struct {
		StatusCode int `json:"statusCode"`
	}
	_ = json.Unmarshal(r.Payload, &v)
	return v.StatusCode
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
func mb(n int64) string         { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
func mib(n int64) string        { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func minMax(ds []time.Duration) (lo, hi time.Duration) {
	for i, d := range ds {
		if i == 0 || d < lo {
			lo = d
		}
		if d > hi {
			hi = d
		}
	}
	return lo, hi
}

func newTable() *tabwriter.Writer { return tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0) }

// BenchmarkColdStart starts every function coldRuns times, each time in a
// fresh process, and reports the medians of init (exec to the first
// GET /next) and of the first invocation, next to a hello-world function's
// and the mailer's, and the size of each linux/arm64 bootstrap.
func BenchmarkColdStart(b *testing.B) {
	f := getFixture(b)
	env := f.deploy(b, productionSettings())
	names := append([]string{helloName}, f.functions...)

	type series struct{ init, first []time.Duration }
	got := map[string]*series{}
	answers := map[string]map[string]int{}
	failed := map[string]error{}
	// Round -1 warms the emulators (DynamoDB Local's JIT, moto's imports)
	// and is not counted. Functions take turns within each round, so drift
	// on the machine spreads over all of them.
	for round := -1; round < coldRuns; round++ {
		for _, name := range names {
			if _, ok := f.host[name]; !ok || failed[name] != nil {
				continue
			}
			// A new customer and client address each round: the throttles
			// are on, and a sixth try from one client would be a cheap 429.
			var ev []byte
			if e, ok := f.events[name]; ok {
				ev = bytes.ReplaceAll(withEmail(e, fmt.Sprintf("ada%d@example.com", round+2)),
					[]byte(eventClientIP), []byte(fmt.Sprintf("203.0.113.%d", round+20)))
			}
			p, init, err := f.start(name, env, 0)
			if err != nil {
				failed[name] = err
				continue
			}
			var first Result
			if ev != nil {
				first, err = invoke(p, name, ev)
			}
			p.Stop()
			if err != nil {
				failed[name] = err
				continue
			}
			if round < 0 {
				continue
			}
			s := got[name]
			if s == nil {
				s = &series{}
				got[name] = s
				answers[name] = map[string]int{}
			}
			s.init = append(s.init, init)
			if ev != nil {
				s.first = append(s.first, first.Duration())
				answers[name][answer(first)]++
			}
		}
	}

	hello := Median(seriesOrEmpty(got[helloName]).init)
	mailer := Median(seriesOrEmpty(got[functions.Mailer]).init)
	fmt.Printf("\nCold start: median of %d fresh processes per function (%s/%s, %d CPUs, %s, emulators on loopback; builds took %s)\n",
		coldRuns, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), f.buildTook.Round(time.Second))
	w := newTable()
	fmt.Fprintln(w, "function\tinit\tinit min–max\t× hello\t× mailer\tfirst invocation\tfirst min–max\tevent\tanswers\tlinux/arm64 bootstrap (MB = 10⁶ B)\t")
	var verdicts []string
	for _, name := range names {
		s, ok := got[name]
		if !ok {
			why := failed[name]
			if why == nil {
				why = f.buildErr[name]
			}
			fmt.Fprintf(w, "%s\tnot measured: %s\t\t\t\t\t\t\t\t\t\n", name, firstLine(why))
			continue
		}
		init := Median(s.init)
		lo, hi := minMax(s.init)
		ratio := times(init, mailer)
		if mailer > 0 {
			r := float64(init) / float64(mailer)
			if name != helloName && name != functions.Mailer {
				v := "ok"
				if r > targetInitRatio {
					v = "OVER"
				}
				verdicts = append(verdicts, fmt.Sprintf("%s %.2f× %s", name, r, v))
			}
		}
		firstMed, firstRange := "—", "—"
		if len(s.first) > 0 {
			firstMed = ms(Median(s.first))
			flo, fhi := minMax(s.first)
			firstRange = ms(flo) + "–" + ms(fhi)
		}
		size := "n/a"
		if n, ok := f.arm64[name]; ok {
			size = mb(n)
			if n > targetArm64Bytes {
				size += " (over 12 MB)"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s–%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, ms(init), ms(lo), ms(hi),
			times(init, hello), ratio, firstMed, firstRange, orDash(f.eventFile[name]), answerList(answers[name]), size)
		b.ReportMetric(float64(init)/1e6, name+"-init-ms")
		if len(s.first) > 0 {
			b.ReportMetric(float64(Median(s.first))/1e6, name+"-first-ms")
		}
	}
	w.Flush()
	if mailer > 0 {
		fmt.Printf("Target init ≤ %.1f × mailer (%s): %s\n", targetInitRatio, ms(mailer), strings.Join(verdicts, ", "))
	} else {
		fmt.Println("Target init ≤ 1.3 × mailer: no mailer measured in this run")
	}
	for _, name := range slices.Sorted(maps.Keys(f.buildErr)) {
		fmt.Printf("build of %s failed: %v\n", name, f.buildErr[name])
	}
	for _, name := range slices.Sorted(maps.Keys(failed)) {
		fmt.Printf("%s failed: %v\n", name, failed[name])
	}
	if len(failed) > 0 {
		b.Errorf("%d functions failed to start or answer", len(failed))
	}
}

// times is a/b as "1.23", or n/a without b.
func times(a, b time.Duration) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func seriesOrEmpty[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func answerList(m map[string]int) string {
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%d× %s", n, k))
	}
	sort.Strings(parts)
	return orDash(strings.Join(parts, ", "))
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func firstLine(err error) string {
	if err == nil {
		return "unknown"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// workload is what one process is put through.
type workload struct {
	function string
	// event is the i-th invocation's event; check says what is wrong with
	// its result, if anything.
	event func(i int) []byte
	check func(i int, r Result) error
}

func wantStatus(want ...int) func(int, Result) error {
	return func(_ int, r Result) error {
		got := statusCode(r)
		for _, w := range want {
			if got == w {
				return nil
			}
		}
		return fmt.Errorf("answer %s, want HTTP %v: %.300s", answer(r), want, r.Payload)
	}
}

// BenchmarkMemory puts each HTTP function through memoryInvocations
// invocations in one process and reports its peak resident set (VmHWM):
// register with a new address each time, sign-in alternating the right and
// a wrong password for one account, verify-email rendering the confirm page.
func BenchmarkMemory(b *testing.B) {
	f := getFixture(b)
	env := f.deploy(b, steadySettings())
	wrong := func(ev []byte) []byte {
		return bytes.Replace(ev, []byte(eventPassword), []byte("wrong horse battery"), 1)
	}
	loads := []workload{
		{
			// The first registers the events' customer, whom sign-in uses
			// (Standard registration: active at once).
			function: functions.Register,
			event: func(i int) []byte {
				if i == 0 {
					return f.events[functions.Register]
				}
				return withEmail(f.events[functions.Register], fmt.Sprintf("memory%04d@example.com", i))
			},
			check: wantStatus(201),
		},
		{
			function: functions.SignIn,
			event: func(i int) []byte {
				if i%2 == 1 {
					return wrong(f.events[functions.SignIn])
				}
				return f.events[functions.SignIn]
			},
			check: func(i int, r Result) error {
				if i%2 == 1 {
					return wantStatus(401)(i, r)
				}
				return wantStatus(200)(i, r)
			},
		},
		{
			function: functions.VerifyEmail,
			event:    func(int) []byte { return f.events[functions.VerifyEmail] },
			check: func(_ int, r Result) error {
				if r.Failed || statusCode(r) >= 500 || statusCode(r) == 0 {
					return fmt.Errorf("answer %s", answer(r))
				}
				return nil
			},
		},
	}

	fmt.Printf("\nMemory: %d invocations through one process per function (argon2id m=%d KiB, t=%d)\n",
		memoryInvocations, password.OWASPParams().MemoryKiB, password.OWASPParams().Iterations)
	w := newTable()
	fmt.Fprintln(w, "function\tpeak RSS after 1st\tpeak RSS (VmHWM)\tRSS at end\tof 256 MiB\twarm median\ttook\tunexpected answers\t")
	for _, l := range loads {
		if _, ok := f.host[l.function]; !ok || f.events[l.function] == nil {
			fmt.Fprintf(w, "%s\tnot measured: no bootstrap or event\t\t\t\t\t\t\t\n", l.function)
			continue
		}
		start := time.Now()
		p, _, err := f.start(l.function, env, 0)
		if err != nil {
			b.Fatalf("%s: %v", l.function, err)
		}
		var (
			durations  []time.Duration
			afterFirst int64
			bad        int
			firstBad   error
		)
		for i := 0; i < memoryInvocations; i++ {
			r, err := invoke(p, l.function, l.event(i))
			if err != nil {
				p.Stop()
				b.Fatalf("%s invocation %d: %v", l.function, i, err)
			}
			if err := l.check(i, r); err != nil {
				bad++
				if firstBad == nil {
					firstBad = fmt.Errorf("invocation %d: %w", i, err)
				}
			}
			if i == 0 {
				afterFirst, _ = p.PeakRSS()
			} else {
				durations = append(durations, r.Duration())
			}
		}
		peak, err := p.PeakRSS()
		if err != nil {
			p.Stop()
			b.Fatalf("%s: %v", l.function, err)
		}
		rss, _ := p.RSS()
		p.Stop()
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%.0f%%\t%s\t%s\t%d\t\n", l.function, mib(afterFirst), mib(peak), mib(rss),
			100*float64(peak)/float64(targetMemoryMB<<20), ms(Median(durations)), time.Since(start).Round(100*time.Millisecond), bad)
		b.ReportMetric(float64(peak)/(1<<20), l.function+"-peak-MiB")
		if firstBad != nil {
			b.Errorf("%s: %d unexpected answers; first: %v", l.function, bad, firstBad)
		}
	}
	w.Flush()
}

// BenchmarkMemorySizes emulates Lambda's CPU share at each memory size with
// a CFS quota on a cgroup v1 cpu group, and reports the warm duration of
// register and of a right-password sign-in at each, with the price. Each
// size has its own process in its own group; the sizes take turns, one
// invocation each, so load elsewhere on the machine falls on all alike.
func BenchmarkMemorySizes(b *testing.B) {
	f := getFixture(b)
	env := f.deploy(b, steadySettings())
	if _, ok := f.host[functions.Register]; !ok {
		b.Skip("no register bootstrap")
	}
	// The account sign-in signs into.
	p, _, err := f.start(functions.Register, env, 0)
	if err != nil {
		b.Fatal(err)
	}
	r, err := invoke(p, functions.Register, f.events[functions.Register])
	p.Stop()
	if err != nil || statusCode(r) != 201 {
		b.Fatalf("create the sign-in account: %v %s", err, r.Payload)
	}

	groups, cgErr := sizeGroups(memorySizes)
	defer func() {
		for _, g := range groups {
			if err := g.Remove(); err != nil {
				b.Errorf("clean up the cgroup: %v", err)
			}
		}
	}()

	loads := []struct {
		function string
		event    func(mem, i int) []byte
		want     int
	}{
		{functions.Register, func(mem, i int) []byte {
			return withEmail(f.events[functions.Register], fmt.Sprintf("size%d-%03d@example.com", mem, i))
		}, 201},
		{functions.SignIn, func(int, int) []byte { return f.events[functions.SignIn] }, 200},
	}
	fmt.Printf("\nMemory sizes: median of %d warm invocations after %d discarded, one process per size, sizes taking turns; "+
		"CPU quota = %s × size/%d MB, capped at one CPU (arm64, us-east-1: $%.10f per GB-s, $%.2f per million requests)\n",
		sizeSamples, sizeWarmups, cfsPeriod, FullCPUMemoryMB, PricePerGBSecond, PricePerMillionRequests)
	if cgErr != nil {
		fmt.Printf("cgroups cannot be written, so only unthrottled figures follow (no memory size emulated): %v\n", cgErr)
	}
	for _, l := range loads {
		if _, ok := f.host[l.function]; !ok {
			continue
		}
		lanes := []*lane{{}} // the first runs without a quota
		for _, mem := range memorySizes {
			if g, ok := groups[mem]; ok {
				lanes = append(lanes, &lane{mem: mem, group: g})
			}
		}
		for _, ln := range lanes {
			if err := ln.start(f, l.function, env); err != nil {
				stopLanes(lanes)
				b.Fatal(err)
			}
		}
		for i := 0; i < sizeWarmups+sizeSamples; i++ {
			for _, ln := range lanes {
				r, err := invoke(ln.p, l.function, l.event(ln.mem, i))
				if err != nil || statusCode(r) != l.want {
					stopLanes(lanes)
					b.Fatalf("%s at %d MB, invocation %d: %v %s", l.function, ln.mem, i, err, r.Payload)
				}
				if i >= sizeWarmups {
					ln.durations = append(ln.durations, r.Duration())
				}
			}
		}
		stopLanes(lanes)

		var points []SizePoint
		w := newTable()
		fmt.Fprintf(w, "%s\tCPU quota\tinit (1 sample)\twarm median\twarm min–max\tprice per million\t\n", l.function)
		for _, ln := range lanes {
			med := Median(ln.durations)
			lo, hi := minMax(ln.durations)
			label, quota, price := "host", "none (unthrottled)", "—"
			if ln.mem > 0 {
				label = fmt.Sprintf("%d MB", ln.mem)
				q, per, _ := ln.group.Quota()
				quota = fmt.Sprintf("%d/%d µs", q.Microseconds(), per.Microseconds())
				pt := SizePoint{MemoryMB: ln.mem, Duration: med, PricePerMillion: PricePerMillion(med, ln.mem)}
				points = append(points, pt)
				price = fmt.Sprintf("$%.2f", pt.PricePerMillion)
				b.ReportMetric(float64(med)/1e6, fmt.Sprintf("%s-%dMB-ms", l.function, ln.mem))
			} else {
				b.ReportMetric(float64(med)/1e6, l.function+"-unthrottled-ms")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s–%s\t%s\t\n", label, quota, ms(ln.init), ms(med), ms(lo), ms(hi), price)
		}
		w.Flush()
		if c, fw := Choose(points); c >= 0 {
			fmt.Printf("%s: cheapest %d MB ($%.2f per million, %s); fastest within 10%% of that: %d MB ($%.2f, %s)\n",
				l.function, points[c].MemoryMB, points[c].PricePerMillion, ms(points[c].Duration),
				points[fw].MemoryMB, points[fw].PricePerMillion, ms(points[fw].Duration))
		}
	}
}

// sizeGroups creates one CPU cgroup per memory size with its quota. On the
// first failure it removes what it made and returns the error.
func sizeGroups(sizes []int) (map[int]*CPUCgroup, error) {
	groups := map[int]*CPUCgroup{}
	for _, mem := range sizes {
		g, err := NewCPUCgroup(CPUControllerV1, fmt.Sprintf("openreg-coldstart-%d-%dmb", os.Getpid(), mem))
		if err == nil {
			groups[mem] = g
			err = g.SetQuota(CPUQuota(mem, cfsPeriod), cfsPeriod)
		}
		if err != nil {
			for _, g := range groups {
				_ = g.Remove()
			}
			return nil, err
		}
	}
	return groups, nil
}

// lane is one process of BenchmarkMemorySizes: a memory size (0: none) and
// its group.
type lane struct {
	mem       int
	group     *CPUCgroup
	p         *Process
	init      time.Duration
	durations []time.Duration
}

// start runs the function and moves it into the lane's group right after
// exec, so its init runs under (almost all of) the quota too.
func (ln *lane) start(f *fixture, function string, env []string) error {
	memoryMB := ln.mem
	if memoryMB == 0 {
		memoryMB = profileOf(function).memoryMB
	}
	p, err := Start(Options{Binary: f.host[function], FunctionName: function,
		MemoryMB: memoryMB, Timeout: profileOf(function).timeout, Env: env})
	if err != nil {
		return err
	}
	ln.p = p
	if ln.group != nil {
		if err := ln.group.Add(p.PID()); err != nil {
			return err
		}
		if in, err := ln.group.Contains(p.PID()); err != nil || !in {
			return fmt.Errorf("pid %d is not in %s after the move (%v)", p.PID(), ln.group.Dir(), err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if ln.init, err = p.Init(ctx); err != nil {
		return fmt.Errorf("%s at %d MB: %w", function, ln.mem, err)
	}
	return nil
}

func stopLanes(lanes []*lane) {
	for _, ln := range lanes {
		if ln.p != nil {
			ln.p.Stop()
		}
	}
}
