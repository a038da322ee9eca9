package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Route is the import route, under the API's base URL.
const Route = "/v1/admin/customer-imports"

// The limits of one call (admin.MaxImport, httpapi.MaxImportBody), less
// room for the envelope.
const (
	MaxBatch     = 100
	maxBatchBody = 1<<20 - 1024
)

// Authorizer adds the back office's authority to a request whose body is
// body.
type Authorizer interface {
	Authorize(ctx context.Context, r *http.Request, body []byte) error
}

// Options say where and how to send.
type Options struct {
	API         string
	Batch       int // customers a call (at most MaxBatch; 0: MaxBatch)
	Concurrency int // calls at once (0: 4)
	Invite      bool
	Auth        Authorizer
	Client      *http.Client
	// Attempts bounds the tries of one batch (0: 8); Pause is the first
	// pause between them, doubled each time (0: 1 s), unless the API says
	// Retry-After.
	Attempts int
	Pause    time.Duration
	// Progress hears of every acknowledged batch (nil: nothing).
	Progress func(Summary)
	// Done records that the first n lines are done (the state file).
	Done func(n int) error
	// Report receives each skipped line.
	Report func(Skipped) error
}

// Skipped is a line the import left out.
type Skipped struct {
	Line       int    `json:"line"`
	ExternalID string `json:"externalId,omitempty"`
	Code       string `json:"code"`
}

// Summary counts a run.
type Summary struct {
	Lines    int // done, from the file's start
	Imported int
	Skipped  int
	Batches  int
	Started  time.Time
}

// batch is a run of lines sent in one call.
type batch struct {
	seq      int
	first    int // the line number of its first entry (1-based)
	lines    int // lines it covers, including malformed ones
	entries  []json.RawMessage
	at       []int // line number of each entry
	bad      []Skipped
	body     []byte
	imported int
	skipped  []Skipped
	err      error
}

// Run sends the lines of in after the first start (those a previous run
// did), and returns what it did.
func Run(ctx context.Context, in io.Reader, start int, o Options) (Summary, error) {
	o = o.withDefaults()
	sum := Summary{Lines: start, Started: time.Now()}
	batches := make(chan *batch)
	results := make(chan *batch)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var readErr error
	go func() {
		defer close(batches)
		readErr = read(ctx, in, start, o, batches)
	}()
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				b.err = o.send(ctx, b)
				results <- b
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	// Acknowledge in order: the state counts a contiguous prefix only.
	pending := map[int]*batch{}
	next := 0
	var firstErr error
	for b := range results {
		pending[b.seq] = b
		for b, ok := pending[next]; ok && firstErr == nil; b, ok = pending[next] {
			delete(pending, next)
			next++
			if b.err != nil {
				firstErr = fmt.Errorf("lines %d-%d: %w", b.first, b.first+b.lines-1, b.err)
				cancel()
				break
			}
			for _, s := range append(b.bad, b.skipped...) {
				if err := o.Report(s); err != nil {
					firstErr = err
					cancel()
				}
			}
			sum.Lines += b.lines
			sum.Imported += b.imported
			sum.Skipped += len(b.bad) + len(b.skipped)
			sum.Batches++
			if err := o.Done(sum.Lines); err != nil && firstErr == nil {
				firstErr = err
				cancel()
			}
			o.Progress(sum)
		}
	}
	if firstErr != nil {
		return sum, firstErr
	}
	return sum, readErr
}

func (o Options) withDefaults() Options {
	if o.Batch <= 0 || o.Batch > MaxBatch {
		o.Batch = MaxBatch
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 60 * time.Second}
	}
	if o.Attempts <= 0 {
		o.Attempts = 8
	}
	if o.Pause <= 0 {
		o.Pause = time.Second
	}
	if o.Progress == nil {
		o.Progress = func(Summary) {}
	}
	if o.Done == nil {
		o.Done = func(int) error { return nil }
	}
	if o.Report == nil {
		o.Report = func(Skipped) error { return nil }
	}
	return o
}

// read cuts the lines after start into batches.
func read(ctx context.Context, in io.Reader, start int, o Options, out chan<- *batch) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxBatchBody)
	line, seq := 0, 0
	cur := &batch{first: start + 1}
	size := 0
	flush := func() error {
		if cur.lines == 0 {
			return nil
		}
		body, err := envelope(o.Invite, cur.entries)
		if err != nil {
			return err
		}
		if len(cur.entries) == 0 {
			body = nil // only malformed lines: nothing to send
		}
		cur.body, cur.seq = body, seq
		seq++
		select {
		case out <- cur:
		case <-ctx.Done():
			return ctx.Err()
		}
		cur, size = &batch{first: line + 1}, 0
		return nil
	}
	for sc.Scan() {
		line++
		if line <= start {
			continue
		}
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			cur.lines++
			continue
		}
		if len(cur.entries) == o.Batch || size+len(raw)+1 > maxBatchBody {
			if err := flush(); err != nil {
				return err
			}
		}
		cur.lines++
		var probe map[string]json.RawMessage
		if json.Unmarshal(raw, &probe) != nil {
			cur.bad = append(cur.bad, Skipped{Line: line, Code: "malformed_line"})
			continue
		}
		cur.entries = append(cur.entries, json.RawMessage(bytes.Clone(raw)))
		cur.at = append(cur.at, line)
		size += len(raw) + 1
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return flush()
}

// answer is the route's 200.
type answer struct {
	Imported int `json:"imported"`
	Skipped  []struct {
		Index int    `json:"index"`
		Code  string `json:"code"`
	} `json:"skipped"`
}

// errFatal is an answer no retry changes (401, 403, 400, 413).
type errFatal struct {
	status int
	body   string
}

func (e errFatal) Error() string { return fmt.Sprintf("the API answered %d: %.300s", e.status, e.body) }

// send posts a batch, trying again what a retry can change.
func (o Options) send(ctx context.Context, b *batch) error {
	if b.body == nil {
		return nil
	}
	pause := o.Pause
	var last error
	for attempt := range o.Attempts {
		if attempt > 0 {
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return ctx.Err()
			}
			pause *= 2
		}
		status, body, retryAfter, err := o.post(ctx, b.body)
		switch {
		case err != nil:
			last = err
			continue
		case status == http.StatusOK:
			again, err := b.read(body)
			if err != nil || len(again) == 0 {
				return err
			}
			// The call ran short of time: the entries it did not begin
			// go again, as a call of their own.
			if b.body, err = envelope(o.Invite, again); err != nil {
				return err
			}
			pause, last = o.Pause, fmt.Errorf("the API ran out of time for %d entries", len(again))
			continue
		case status == http.StatusTooManyRequests || status >= 500:
			last = errFatal{status, string(body)}
			if retryAfter > 0 {
				pause = retryAfter
			}
			continue
		default:
			return errFatal{status, string(body)}
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", o.Attempts, last)
}

func (o Options) post(ctx context.Context, body []byte) (int, []byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(o.API, "/")+Route, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.Auth != nil {
		if err := o.Auth.Authorize(ctx, req, body); err != nil {
			return 0, nil, 0, err
		}
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	return resp.StatusCode, out, time.Duration(secs) * time.Second, err
}

// notAttempted is the skip code of entries a call ran out of time for.
const notAttempted = "not_attempted"

// read takes the route's answer: the skipped entries by line; the entries
// not attempted become the batch's entries, to be sent again.
func (b *batch) read(body []byte) ([]json.RawMessage, error) {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("unreadable answer: %w", err)
	}
	b.imported += a.Imported
	var again []json.RawMessage
	var at []int
	for _, s := range a.Skipped {
		if s.Index < 0 || s.Index >= len(b.entries) {
			return nil, errors.New("the answer names an entry the batch does not have")
		}
		if s.Code == notAttempted {
			again, at = append(again, b.entries[s.Index]), append(at, b.at[s.Index])
			continue
		}
		var id struct {
			ExternalID string `json:"externalId"`
		}
		_ = json.Unmarshal(b.entries[s.Index], &id)
		b.skipped = append(b.skipped, Skipped{Line: b.at[s.Index], ExternalID: id.ExternalID, Code: s.Code})
	}
	if len(again) > 0 {
		b.entries, b.at = again, at
	}
	return again, nil
}

// envelope is the body of a call.
func envelope(invite bool, entries []json.RawMessage) ([]byte, error) {
	return json.Marshal(struct {
		Invite    bool              `json:"invite,omitempty"`
		Customers []json.RawMessage `json:"customers"`
	}{invite, entries})
}
