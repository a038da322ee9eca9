package emailcheck_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/emailcheck"
	"github.com/openreg/registration/internal/settings"
)

// dnsServer is a DNS server on loopback answering as the zones below say,
// over the real protocol; a name it does not know fails (SERVFAIL).
func dnsServer(t *testing.T) *net.Resolver {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	answer := func(name string, build func(m *dns.Msg)) {
		mux.HandleFunc(name, func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.RecursionAvailable = true // as a recursive resolver answers
			build(m)
			_ = w.WriteMsg(m)
		})
	}
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	answer("mail.test.", func(m *dns.Msg) {
		if m.Question[0].Qtype == dns.TypeMX {
			m.Answer = append(m.Answer, rr("mail.test. 60 IN MX 10 mx.mail.test."))
		}
	})
	answer("nullmx.test.", func(m *dns.Msg) {
		if m.Question[0].Qtype == dns.TypeMX {
			m.Answer = append(m.Answer, rr("nullmx.test. 60 IN MX 0 ."))
		}
	})
	answer("aonly.test.", func(m *dns.Msg) {
		if m.Question[0].Qtype == dns.TypeA {
			m.Answer = append(m.Answer, rr("aonly.test. 60 IN A 192.0.2.1"))
		}
	})
	answer("empty.test.", func(*dns.Msg) {})
	answer("gone.test.", func(m *dns.Msg) { m.Rcode = dns.RcodeNameError })
	answer("broken.test.", func(m *dns.Msg) { m.Rcode = dns.RcodeServerFailure })
	mux.HandleFunc("slow.test.", func(w dns.ResponseWriter, r *dns.Msg) { time.Sleep(700 * time.Millisecond) })
	srv := &dns.Server{PacketConn: conn, Handler: mux}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	addr := conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func TestCheck(t *testing.T) {
	c := emailcheck.New(dnsServer(t), 300*time.Millisecond)
	yes, no := true, false
	tests := []struct {
		name       string
		email      string
		valid      bool
		suggestion string
		disposable bool
		accepts    *bool
	}{
		{"a domain with an MX record accepts mail", "ada@mail.test", true, "", false, &yes},
		{"a null MX accepts none", "ada@nullmx.test", true, "", false, &no},
		{"a domain with only an address takes mail there", "ada@aonly.test", true, "", false, &yes},
		{"a domain without records accepts none", "ada@empty.test", true, "", false, &no},
		{"a domain that does not exist accepts none", "ada@gone.test", true, "", false, &no},
		{"a failing resolver is unknown, not no", "ada@broken.test", true, "", false, nil},
		{"a resolver slower than the timeout is unknown, not no", "ada@slow.test", true, "", false, nil},
		{"a typo gets a suggestion", "ada@gmial.test", true, "", false, nil},
		{"a typo of a popular domain gets it", "Ada@gmaill.com", true, "Ada@gmail.com", false, nil},
		{"a disposable domain says so", "x@mailinator.com", true, "", true, nil},
		{"an invalid address asks no DNS", "not-an-address", false, "", false, nil},
		{"an address without its top-level domain is invalid", "ada@localhost", false, "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Check(context.Background(), tt.email)
			if r.Valid != tt.valid || r.Suggestion != tt.suggestion || r.Disposable != tt.disposable {
				t.Errorf("Check(%q) = %+v, want valid %v, suggestion %q, disposable %v", tt.email, r, tt.valid, tt.suggestion, tt.disposable)
			}
			if (tt.accepts == nil) != (r.DomainAcceptsMail == nil) || tt.accepts != nil && *r.DomainAcceptsMail != *tt.accepts {
				t.Errorf("Check(%q) accepts mail %v, want %v", tt.email, r.DomainAcceptsMail, tt.accepts)
			}
		})
	}
}

// deadlineResolver records the deadline of the DNS questions it is asked,
// and knows no domain.
type deadlineResolver struct{ deadlines []time.Duration }

func (d *deadlineResolver) record(ctx context.Context) error {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(time.Hour)
	}
	d.deadlines = append(d.deadlines, time.Until(dl))
	return &net.DNSError{Err: "no such host", IsNotFound: true}
}

func (d *deadlineResolver) LookupMX(ctx context.Context, _ string) ([]*net.MX, error) {
	return nil, d.record(ctx)
}

func (d *deadlineResolver) LookupIPAddr(ctx context.Context, _ string) ([]net.IPAddr, error) {
	return nil, d.record(ctx)
}

func TestTheDNSQuestionIsBoundedByTheTimeout(t *testing.T) {
	r := &deadlineResolver{}
	emailcheck.New(r, 200*time.Millisecond).Check(context.Background(), "ada@example.com")
	if len(r.deadlines) != 2 {
		t.Fatalf("%d questions, want MX then A", len(r.deadlines))
	}
	for _, d := range r.deadlines {
		if d > 200*time.Millisecond {
			t.Errorf("a question may wait %v, want at most the 200ms timeout", d)
		}
	}
}

func TestRefusal(t *testing.T) {
	c := emailcheck.New(dnsServer(t), 300*time.Millisecond)
	refuseAll := settings.EmailChecks{Disposable: settings.DisposableRefuse, RequireMX: true}
	tests := []struct {
		name   string
		email  string
		policy settings.EmailChecks
		want   apperr.Code // "" for none
	}{
		{"a disposable address is refused when the store says so", "x@mailinator.com", refuseAll, apperr.DisposableEmail},
		{"a disposable address is allowed by default", "x@mailinator.com", settings.EmailChecks{Disposable: settings.DisposableAllow}, ""},
		{"a domain that takes mail passes", "ada@mail.test", refuseAll, ""},
		{"a domain with only an address passes", "ada@aonly.test", refuseAll, ""},
		{"a null MX is refused when mail records are required", "ada@nullmx.test", refuseAll, apperr.EmailDomainUnreachable},
		{"a domain that does not exist is refused when mail records are required", "ada@gone.test", refuseAll, apperr.EmailDomainUnreachable},
		{"a domain without mail records passes when none are required", "ada@gone.test", settings.EmailChecks{Disposable: settings.DisposableRefuse}, ""},
		{"a failing resolver never refuses", "ada@broken.test", refuseAll, ""},
		{"a resolver that does not answer in time never refuses", "ada@slow.test", refuseAll, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Refusal(context.Background(), "email", tt.email, tt.policy)
			if got := codeOf(err); got != tt.want {
				t.Fatalf("Refusal(%q) = %v, want %q", tt.email, err, tt.want)
			}
			var e *apperr.Error
			if err != nil && (!errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "email" || e.Fields[0].Code != string(tt.want)) {
				t.Errorf("Refusal(%q) = %+v, want the field email named with the code", tt.email, err)
			}
		})
	}
	var none *emailcheck.Checker
	if err := none.Refusal(context.Background(), "email", "x@mailinator.com", refuseAll); err != nil {
		t.Errorf("a nil checker refused: %v", err)
	}
}

func codeOf(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}
