// Command import sends a JSON Lines file of customers from another shop to
// the import route, for an operator moving a shop (package importer):
//
//	go run ./infra/import -file customers.jsonl                      # the local stack (make dev)
//	go run ./infra/import -file customers.jsonl -api https://…       # deployed: SigV4 with your AWS credentials
//
// It resumes from <file>.state and writes the skipped lines to
// <file>.skipped.jsonl.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/openreg/registration/internal/importer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "import:", err)
		os.Exit(1)
	}
}

func run() error {
	file := flag.String("file", "", "JSON Lines of customers, one per line, as POST /v1/admin/customer-imports takes them")
	api := flag.String("api", "http://localhost:8080", "the API's base URL (the stack's ApiUrl output when deployed)")
	token := flag.String("token", "", "the local stack's admin token (default: $ADMIN_TOKEN, then .tools/admin-token); deployed, requests are signed with SigV4 instead")
	region := flag.String("region", "", "the API's region for SigV4 (default: from the URL, then your AWS configuration)")
	batch := flag.Int("batch", importer.MaxBatch, "customers a call (at most 100)")
	concurrency := flag.Int("concurrency", 4, "calls at once")
	invite := flag.Bool("invite", false, "mail each unverified customer its link (an invitation when no password came)")
	restart := flag.Bool("restart", false, "ignore <file>.state and start from the first line")
	flag.Parse()
	if *file == "" {
		return errors.New("-file is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	auth, err := authorizer(ctx, *api, *token, *region)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	statePath, reportPath := *file+".state", *file+".skipped.jsonl"
	start := 0
	if b, err := os.ReadFile(statePath); err == nil && !*restart {
		if start, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return fmt.Errorf("%s: %w", statePath, err)
		}
	}
	report, err := os.OpenFile(reportPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer report.Close()
	total := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		total++
	}
	terminal := isTerminal(os.Stderr)
	lastPlain := time.Time{}
	sum, err := importer.Run(ctx, bytes.NewReader(data), start, importer.Options{
		API: *api, Auth: auth, Batch: *batch, Concurrency: *concurrency, Invite: *invite,
		Done: func(n int) error { return writeFile(statePath, strconv.Itoa(n)+"\n") },
		Report: func(s importer.Skipped) error {
			b, _ := json.Marshal(s)
			_, err := report.Write(append(b, '\n'))
			return err
		},
		Progress: func(s importer.Summary) {
			switch {
			case terminal:
				fmt.Fprintf(os.Stderr, "\r%s ", importer.Line(s, start, total, time.Now(), 30))
			case time.Since(lastPlain) >= 5*time.Second || s.Lines == total:
				fmt.Fprintln(os.Stderr, importer.Line(s, start, total, time.Now(), 0))
				lastPlain = time.Now()
			}
		},
	})
	if terminal {
		fmt.Fprintln(os.Stderr)
	}
	fmt.Fprintf(os.Stderr, "%d imported, %d skipped (listed in %s), %d of %d lines done; state in %s\n",
		sum.Imported, sum.Skipped, reportPath, sum.Lines, total, statePath)
	if err != nil {
		return fmt.Errorf("%w (run the same command again to resume)", err)
	}
	return nil
}

// authorizer is the admin token for a local API, SigV4 for a deployed one.
func authorizer(ctx context.Context, api, token, region string) (importer.Authorizer, error) {
	u, err := url.Parse(api)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("-api %q is not a URL", api)
	}
	if host := u.Hostname(); host == "localhost" || host == "127.0.0.1" || token != "" {
		if token == "" {
			token = os.Getenv("ADMIN_TOKEN")
		}
		if token == "" {
			b, err := os.ReadFile(".tools/admin-token")
			if err != nil {
				return nil, errors.New("no admin token: pass -token, set ADMIN_TOKEN or run from the repository while make dev runs")
			}
			token = strings.TrimSpace(string(b))
		}
		return importer.Token(token), nil
	}
	if region == "" {
		// <id>.execute-api.<region>.amazonaws.com
		if parts := strings.Split(u.Hostname(), "."); len(parts) > 3 && parts[1] == "execute-api" {
			region = parts[2]
		}
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("no region: pass -region")
	}
	return importer.SigV4{Credentials: cfg.Credentials, Region: cfg.Region}, nil
}

// writeFile replaces path's content in one step (a crash leaves the old
// state or the new, never half of one).
func writeFile(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
