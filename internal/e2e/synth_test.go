package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	infra "github.com/openreg/registration/infra/stack"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/settings"
)

// Some settings change the template itself (the secret a CAPTCHA's
// functions may read is granted to them by name). A test with such
// settings runs on the template a deployment with them would have,
// synthesized here from infra/stack, so that the grant it needs is the
// stack's, not the test's.

var synthCache sync.Map // settings document -> devstack.Template

// templateWith synthesizes the stack for the example settings changed by
// mutate (its functions' code stands in: the template does not depend on
// it). Synthesizing takes seconds: tests call it only for settings that
// change the template.
func templateWith(t *testing.T, mutate func(*settings.Settings)) devstack.Template {
	t.Helper()
	s := exampleSettings(t)
	mutate(&s)
	doc, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if tpl, ok := synthCache.Load(string(doc)); ok {
		return tpl.(devstack.Template).Clone()
	}
	valid, js, err := infra.ValidateSettings(doc)
	if err != nil {
		t.Fatalf("settings a deployment would refuse: %v", err)
	}
	code := t.TempDir()
	for _, fn := range functions.All {
		if err := os.MkdirAll(filepath.Join(code, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(code, fn, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	infra.New(app, "CustomerRegistration", infra.Props{Settings: valid, SettingsJSON: js, CodeDir: code})
	app.Synth(nil)
	tpl, err := devstack.LoadTemplate(filepath.Join(out, "CustomerRegistration.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	synthCache.Store(string(doc), tpl)
	return tpl.Clone()
}

// exampleSettings are infra/settings.example.json's, which `make synth`
// synthesizes the template with.
func exampleSettings(t *testing.T) settings.Settings {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(moduleRoot(t), "infra", "settings.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := settings.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
