// Package outboxtest checks what a Registry of outbox kinds must do with
// the bodies it decodes, for the tests of the packages that register kinds
// (outbox itself, mail). It is imported by tests only.
package outboxtest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/outbox"
)

// RoundTrip checks, in a subtest each, that every one of msgs decodes from
// its encoding to itself.
func RoundTrip(t *testing.T, r *outbox.Registry, msgs ...outbox.Message) {
	t.Helper()
	for _, m := range msgs {
		t.Run("an encoded "+string(m.Kind())+" decodes to the same message", func(t *testing.T) {
			body, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			Decodes(t, r, body, m)
		})
	}
}

// Decodes checks that r decodes body to want.
func Decodes(t *testing.T, r *outbox.Registry, body string, want outbox.Message) {
	t.Helper()
	got, err := r.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// Refuses checks that r refuses body with an error that mentions each of
// wantErr.
func Refuses(t *testing.T, r *outbox.Registry, body string, wantErr ...string) {
	t.Helper()
	_, err := r.Decode(body)
	if err == nil {
		t.Fatalf("got nil, want an error mentioning %q", wantErr)
	}
	for _, want := range wantErr {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to mention %q", err, want)
		}
	}
}
