package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/importer"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/testenv"
)

// The benchmarks run the whole path (HTTP, gateway, handler, argon2id at
// OWASP's production parameters, DynamoDB Local, moto) on this machine. They
// measure our code plus the emulators, so read them as relative figures.

func benchStack(b *testing.B, mutate func(*settings.Settings)) *stack {
	s := newStack(b, func(st *settings.Settings) {
		st.PasswordHashing = password.OWASPParams()
		// Measure the password check, not the throttle.
		st.SignInThrottle = settings.SignInThrottle{}
		st.ClientLimits = settings.ClientLimits{}
		if mutate != nil {
			mutate(st)
		}
	})
	return s
}

// BenchmarkRegister compares the two double opt-in answers: a new address
// and a taken one must cost the same, or the time would tell them apart.
func BenchmarkRegister(b *testing.B) {
	s := benchStack(b, nil)
	s.register(person("bench-taken@example.com"))
	b.Run("new address", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if r := s.register(person(fmt.Sprintf("bench-%d-%d@example.com", b.N, i))); r.status != 202 {
				b.Fatalf("register: %d %s", r.status, r.body)
			}
		}
	})
	b.Run("taken address", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if r := s.register(person("bench-taken@example.com")); r.status != 202 {
				b.Fatalf("register: %d %s", r.status, r.body)
			}
		}
	})
}

func BenchmarkSignIn(b *testing.B) {
	s := benchStack(b, func(st *settings.Settings) { st.RegistrationType = settings.Standard })
	s.register(person("bench-signin@example.com"))
	cases := []struct {
		name, login, password string
		want                  int
	}{
		{"right password", "bench-signin@example.com", "correct horse", 200},
		{"wrong password", "bench-signin@example.com", "wrong horse", 401},
		{"unknown login", "nobody-here@example.com", "wrong horse", 401},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if r := s.signIn(c.login, c.password); r.status != c.want {
					b.Fatalf("sign-in: %d %s", r.status, r.body)
				}
			}
		})
	}
}

// BenchmarkEnforcingLayer: what the local stack's IAM enforcement costs a
// call (the budget is 2 ms): the same GetItem to DynamoDB Local,
// signed as sign-in, directly and through the enforcing layer (one more
// loopback hop, the body read, the key found, the role's policies
// evaluated).
func BenchmarkEnforcingLayer(b *testing.B) {
	s := newStack(b, nil)
	emu := testenv.Stack(b)
	in := &dynamodb.GetItemInput{TableName: aws.String(s.res.Table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "EMAIL#bench@example.com"}, "SK": &types.AttributeValueMemberS{Value: "EMAIL"}}}
	for _, c := range []struct {
		name     string
		endpoint string
	}{{"directly", emu.DynamoDB}, {"through the enforcing layer", s.local.Endpoint}} {
		db := devstack.ClientsAs(devstack.AccessKeyFor(devstack.KindFunction, functions.SignIn), devstack.PrincipalSecret, c.endpoint).DynamoDB
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := db.GetItem(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImport10000 imports 10,000 customers with wrapped phpass hashes
// (one argon2id each, at OWASP's parameters) through the operator's command
// logic into the local stack: DynamoDB Local, the admin function under its
// role's IAM, four calls at once. It reports customers a second.
func BenchmarkImport10000(b *testing.B) {
	s := benchStack(b, nil)
	for round := range b.N {
		var lines strings.Builder
		for i := range 10_000 {
			fmt.Fprintf(&lines, `{"email":"imp-%d-%d@old-shop.example","externalId":"%d-%d","emailVerified":true,"firstName":"Bulk","lastName":"Customer","passwordHash":{"format":"phpass","value":"$P$6Ite8zhIbIKnVpOD4jDjyI8dvOfeOX0"}}`+"\n", round, i, round, i)
		}
		start := time.Now()
		codes := map[string]int{}
		sum, err := importer.Run(b.Context(), strings.NewReader(lines.String()), 0, importer.Options{API: s.url, Auth: importer.Token(adminToken),
			Report: func(sk importer.Skipped) error { codes[sk.Code]++; return nil }})
		if err != nil || sum.Imported != 10_000 {
			b.Fatalf("imported %d, skipped %v: %v", sum.Imported, codes, err)
		}
		b.ReportMetric(10_000/time.Since(start).Seconds(), "customers/s")
	}
}
