// Package testenv gives integration tests the real emulators: one DynamoDB
// Local and one moto server per test binary, started by TestMain and found
// by the code under test through the standard AWS SDK environment settings,
// exactly as deployed code finds AWS. It is imported by tests only.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/emulator"
)

var stack *emulator.Stack

// Main starts the emulators, runs the tests and stops them. Use it as
// `func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }`. With -short
// it starts none, and every test that needs them (Stack) is skipped: `go
// test -short ./...` runs the unit and in-process tests on a machine
// without Java or Python.
func Main(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s, err := emulator.Start(ctx, emulator.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: cannot start the emulators (run `make tools` to install DynamoDB Local and moto, or `go test -short` to skip the integration tests):", err)
		return 1
	}
	stack = s
	for k, v := range s.Env() {
		os.Setenv(k, v)
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "emulator logs:\n"+s.Logs())
	}
	s.Stop()
	return code
}

// Stack returns the running emulators.
func Stack(t testing.TB) *emulator.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the emulators; -short skips the integration tests")
	}
	if stack == nil {
		t.Fatal("testenv: emulators not started; call testenv.Main from TestMain")
	}
	return stack
}

// AWSConfig loads the SDK configuration the way the functions do.
func AWSConfig(t testing.TB) aws.Config {
	t.Helper()
	Stack(t)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("load AWS config: %v", err)
	}
	return cfg
}

// Clients returns SDK clients on the emulators.
func Clients(t testing.TB) devstack.Clients {
	t.Helper()
	return devstack.NewClients(AWSConfig(t))
}

// Name returns a unique resource name with a prefix, so tests can share
// one emulator without seeing each other's data.
func Name(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
