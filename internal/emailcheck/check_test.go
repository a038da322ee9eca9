package emailcheck_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/openreg/registration/internal/emailcheck"
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
			start := time.Now()
			r := c.Check(context.Background(), tt.email)
			if r.Valid != tt.valid || r.Suggestion != tt.suggestion || r.Disposable != tt.disposable {
				t.Errorf("Check(%q) = %+v, want valid %v, suggestion %q, disposable %v", tt.email, r, tt.valid, tt.suggestion, tt.disposable)
			}
			if (tt.accepts == nil) != (r.DomainAcceptsMail == nil) || tt.accepts != nil && *r.DomainAcceptsMail != *tt.accepts {
				t.Errorf("Check(%q) accepts mail %v, want %v", tt.email, r.DomainAcceptsMail, tt.accepts)
			}
			if waited := time.Since(start); waited > time.Second {
				t.Errorf("the check took %v, want at most the timeout and a little", waited)
			}
		})
	}
}
