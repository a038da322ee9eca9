package e2e

import (
	"context"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/functions"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/testenv"
)

// TestQueueOutage: when the mail queue cannot be reached, the registration
// still succeeds (nothing on the request path talks to the queue): its job
// waits in the outbox, and the stream's Pipe delivers it once the queue is
// back, once.
func TestQueueOutage(t *testing.T) {
	s := newStack(t, nil)
	r := s.register(person("outage@example.com"))
	if r.status != http.StatusAccepted {
		t.Fatalf("register during outage: %d %s", r.status, r.body)
	}
	// The outbox Pipe of the template, its queue gone.
	def := s.outboxPipe()
	gone := maps.Clone(s.res.Locals)
	queue, _ := s.res.Locals.ByAttr("Arn", s.res.QueueARN)
	gone[queue] = maps.Clone(gone[queue])
	gone[queue]["QueueUrl"] += "-gone"
	broken, err := devstack.NewPipe(def, gone, s.local.As(devstack.KindPipe, def.LogicalID), discardLog())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := broken.Once(context.Background()); err == nil || n != 0 {
		t.Fatalf("pipe to a missing queue sent %d, %v; want an error", n, err)
	}
	jobs := s.outboxItems()
	if len(jobs) != 1 || jobs[0].Kind() != registration.CompleteKind {
		t.Fatalf("outbox = %+v; want the registration's job waiting, with no link in it", jobs)
	}
	if n := len(s.mailsTo("outage@example.com")); n != 0 {
		t.Fatalf("mail went out during the outage: %d", n)
	}

	// The queue is back: the Pipe carries the job on, and only once.
	s.deliverMail()
	s.deliverMail()
	if n := len(s.mailsTo("outage@example.com")); n != 1 {
		t.Errorf("mails after the queue came back = %d, want 1", n)
	}
}

// TestDatabaseOutage: with DynamoDB unreachable every route answers 503
// service_unavailable with Retry-After, and no internal detail.
func TestDatabaseOutage(t *testing.T) {
	s := newStack(t, nil)
	cfg := s.clients
	awsCfg := awsConfigNoRetry(t)
	cfg.DynamoDB = dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })
	down := buildStack(t, s.settings, cfg, s.local)

	checks := []struct {
		name string
		do   func() response
	}{
		{"register", func() response { return down.register(person("down@example.com")) }},
		{"sign-in", func() response { return down.signIn("down@example.com", "correct horse") }},
		{"verify", func() response {
			return down.postJSON("/v1/verify-email", map[string]string{"token": "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "password": "correct horse"})
		}},
		{"me", func() response {
			return down.do(http.MethodGet, "/v1/customers/me", "", nil, "Authorization: Bearer 0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		}},
	}
	for _, c := range checks {
		t.Run(c.name+" answers 503", func(t *testing.T) {
			r := c.do()
			if r.status != http.StatusServiceUnavailable || r.code(t) != "service_unavailable" || r.header.Get("Retry-After") == "" {
				t.Errorf("%d %s Retry-After %q", r.status, r.body, r.header.Get("Retry-After"))
			}
			if p := r.json(t); p["detail"] == nil || containsAny(p["detail"].(string), "127.0.0.1", "dial", "dynamodb") {
				t.Errorf("detail leaks internals: %v", p["detail"])
			}
		})
	}
	if _, found := s.customerByEmail("down@example.com"); found {
		t.Error("a customer was stored during the outage")
	}
}

func awsConfigNoRetry(t *testing.T) aws.Config {
	t.Helper()
	c := testenv.AWSConfig(t)
	c.RetryMaxAttempts = 1
	return c
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(strings.ToLower(s), strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// TestHangingDatabaseAnswersInTime: a database that accepts connections and
// never answers still gets the client a 503 before the invocation ends.
func TestHangingDatabaseAnswersInTime(t *testing.T) {
	s := newStack(t, nil)
	hang := hangingListener(t)
	clients := s.clients
	clients.DynamoDB = dynamodb.NewFromConfig(testenv.AWSConfig(t), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String("http://" + hang)
	})
	hung := buildStack(t, s.settings, clients, s.local)

	var ev events.APIGatewayV2HTTPRequest
	loadEvent(t, "sign-in.json", &ev)
	// An invocation with 3 s left, as Lambda would give it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := hung.functions[functions.SignIn](ctx, ev)
	took := time.Since(start)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("got %d %v: %s", resp.StatusCode, err, resp.Body)
	}
	if took > 2500*time.Millisecond {
		t.Errorf("answered after %v; the invocation had 3 s and the answer needs time to travel", took)
	}
}

// hangingListener is a database that accepts connections and never answers;
// it returns its address.
func hangingListener(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn // hold the connections open, say nothing
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return ln.Addr().String()
}
