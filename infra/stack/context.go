package stack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/openreg/registration/internal/settings"
)

// Context keys an operator sets in cdk.json or with `cdk deploy -c key=value`.
const (
	CtxStackName     = "stackName"
	CtxSettingsFile  = "settingsFile"
	CtxCodeDir       = "codeDir"
	CtxSESIdentity   = "sesIdentity"
	CtxOperatorEmail = "operatorEmail"
	CtxThrottleRate  = "throttleRate"
	CtxThrottleBurst = "throttleBurst"
)

// maxSettingsBytes keeps the settings document inside Lambda's 4 KB budget for
// all environment variables together.
const maxSettingsBytes = 3072

// AppProps are the stack's name and props as the app builds them.
type AppProps struct {
	StackName string
	Props     Props
}

// PropsFromContext reads and validates the operator's choices. get returns a
// context value or nil. Every problem is reported at once.
func PropsFromContext(get func(string) any) (AppProps, error) {
	str := func(key, def string) string {
		if v, ok := get(key).(string); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	var errs []error
	num := func(key string) float64 {
		switch v := get(key).(type) {
		case nil:
			return 0
		case float64:
			return v
		case string:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				errs = append(errs, fmt.Errorf("context %s must be a positive number, got %q", key, v))
			}
			return f
		default:
			errs = append(errs, fmt.Errorf("context %s must be a number", key))
			return 0
		}
	}
	out := AppProps{StackName: str(CtxStackName, "CustomerRegistration")}
	out.Props.CodeDir = str(CtxCodeDir, "bin")
	out.Props.SESIdentity = str(CtxSESIdentity, "")
	out.Props.OperatorEmail = str(CtxOperatorEmail, "")
	out.Props.ThrottleRate = num(CtxThrottleRate)
	out.Props.ThrottleBurst = num(CtxThrottleBurst)

	// Deploying on defaults would mail links to 127.0.0.1: the operator
	// must say where the API and the storefront live.
	var doc []byte
	if file := str(CtxSettingsFile, ""); file == "" {
		errs = append(errs, fmt.Errorf("context %s is not set: pass your settings document with -c %s=path/to/settings.json", CtxSettingsFile, CtxSettingsFile))
	} else if b, err := os.ReadFile(file); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", CtxSettingsFile, err))
	} else {
		doc = b
	}
	s, js, err := ValidateSettings(doc)
	if err != nil {
		errs = append(errs, err)
	}
	out.Props.Settings, out.Props.SettingsJSON = s, js

	for _, fn := range Functions {
		if _, err := os.Stat(out.Props.CodeDir + "/" + fn + "/bootstrap"); err != nil {
			errs = append(errs, fmt.Errorf("%s/%s/bootstrap is missing: run `make build` first", out.Props.CodeDir, fn))
		}
	}
	out.Props.StackProps = awscdk.StackProps{Description: strPtr("Customer registration backend: API, functions, table, mail queue, SES, alarms")}
	return out, errors.Join(errs...)
}

// ValidateSettings checks a settings document exactly as the functions will at
// cold start, and returns it compacted (same content, no insignificant
// whitespace) for the functions' environment.
func ValidateSettings(doc []byte) (settings.Settings, string, error) {
	s, err := settings.Parse(doc)
	if err != nil {
		return settings.Settings{}, "", fmt.Errorf("registration settings are invalid:\n%w", err)
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return s, "", nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return settings.Settings{}, "", err
	}
	if buf.Len() > maxSettingsBytes {
		return settings.Settings{}, "", fmt.Errorf("registration settings are %d bytes; Lambda environments allow about %d", buf.Len(), maxSettingsBytes)
	}
	return s, buf.String(), nil
}

func strPtr(s string) *string { return &s }
