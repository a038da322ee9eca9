package devstack

import (
	"context"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// EventLog is the local events page: it takes what the bus forwards to the
// events queue and shows the most recent events, newest first (HTML at
// /_local/events, JSON at /_local/events.json), as the mailbox shows mail.
type EventLog struct {
	q        *sqs.Client
	queueURL string
	keep     int
	log      *slog.Logger

	mu     sync.Mutex
	events []Published
}

// NewEventLog returns a log of the last keep events of the queue.
func NewEventLog(q *sqs.Client, queueURL string, keep int, log *slog.Logger) *EventLog {
	return &EventLog{q: q, queueURL: queueURL, keep: keep, log: log}
}

// Run drains the queue until ctx ends, every interval.
func (l *EventLog) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		evs, err := ReceiveEvents(ctx, l.q, l.queueURL)
		if err != nil && ctx.Err() == nil {
			l.log.Warn("event log", "error", err)
		}
		l.mu.Lock()
		l.events = append(l.events, evs...)
		if n := len(l.events); n > l.keep {
			l.events = append([]Published(nil), l.events[n-l.keep:]...)
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var eventsPage = template.Must(template.New("events").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Local events</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}pre{background:#f4f4f5;padding:.5rem;white-space:pre-wrap}</style></head>
<body><h1>Local events</h1>
<p><small>Customer events the bus (moto's EventBridge) delivered, newest first. JSON: <a href="/_local/events.json">/_local/events.json</a></small></p>
{{range .}}<h2>{{.DetailType}}</h2><p><small>{{.Time}} · {{.ID}}</small></p><pre>{{printf "%s" .Detail}}</pre>
{{else}}<p>No events yet.</p>{{end}}
</body></html>`))

// ServeHTTP shows the events as HTML, or JSON for /_local/events.json.
func (l *EventLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	newest := make([]Published, 0, len(l.events))
	for i := len(l.events) - 1; i >= 0; i-- {
		newest = append(newest, l.events[i])
	}
	l.mu.Unlock()
	if r.URL.Path == "/_local/events.json" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(newest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = eventsPage.Execute(w, newest)
}
