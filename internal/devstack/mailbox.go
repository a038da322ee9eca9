package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"regexp"
	"time"
)

// Mail is one mail SES (moto) accepted. moto keeps the HTML part only.
type Mail struct {
	ID      string   `json:"id"`
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	HTML    string   `json:"html"`
	// Links are the href targets in the mail, in order.
	Links []string `json:"links"`
}

// Mailbox reads the mails moto's SES accepted from its state endpoint.
type Mailbox struct {
	motoURL string
	client  *http.Client
}

// NewMailbox returns a Mailbox for the moto server at motoURL.
func NewMailbox(motoURL string) *Mailbox {
	return &Mailbox{motoURL: motoURL, client: &http.Client{Timeout: 5 * time.Second}}
}

var hrefPattern = regexp.MustCompile(`href="([^"]+)"`)

// Mails returns every accepted mail, oldest first.
func (m *Mailbox) Mails(ctx context.Context) ([]Mail, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.motoURL+"/moto-api/data.json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	defer resp.Body.Close()
	var data struct {
		SES struct {
			Message []struct {
				ID           string              `json:"id"`
				Source       string              `json:"source"`
				Subject      string              `json:"subject"`
				Body         string              `json:"body"`
				Destinations map[string][]string `json:"destinations"`
			} `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		return nil, fmt.Errorf("mailbox: decode moto state: %w", err)
	}
	mails := make([]Mail, 0, len(data.SES.Message))
	for _, msg := range data.SES.Message {
		ml := Mail{ID: msg.ID, From: msg.Source, To: msg.Destinations["ToAddresses"], Subject: msg.Subject, HTML: msg.Body, Links: []string{}}
		for _, match := range hrefPattern.FindAllStringSubmatch(msg.Body, -1) {
			// html/template escapes attribute values ("&amp;"); undo it.
			ml.Links = append(ml.Links, html.UnescapeString(match[1]))
		}
		mails = append(mails, ml)
	}
	return mails, nil
}

var mailboxPage = template.Must(template.New("mailbox").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Local mailbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}article{border:1px solid #ccc;border-radius:.4rem;padding:1rem;margin:1rem 0}
iframe{width:100%;height:22rem;border:1px solid #eee}small{color:#666}</style></head>
<body><h1>Local mailbox</h1>
<p><small>Mails SES (moto) accepted, newest first. JSON: <a href="/_local/mailbox.json">/_local/mailbox.json</a></small></p>
{{range .}}<article>
<h2>{{.Subject}}</h2>
<p><small>From {{.From}} to {{range .To}}{{.}} {{end}}</small></p>
{{range .Links}}<p>Link: <a href="{{.}}">{{.}}</a></p>{{end}}
<iframe sandbox srcdoc="{{.HTML}}" title="mail body"></iframe>
</article>{{else}}<p>No mail yet.</p>{{end}}
</body></html>`))

// ServeHTTP shows the mailbox as HTML, or JSON for /_local/mailbox.json.
func (m *Mailbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mails, err := m.Mails(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if r.URL.Path == "/_local/mailbox.json" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(mails)
		return
	}
	for i, j := 0, len(mails)-1; i < j; i, j = i+1, j-1 {
		mails[i], mails[j] = mails[j], mails[i]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = mailboxPage.Execute(w, mails)
}
