package config_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/settings"
)

// env returns a getenv backed by vars; unset names read as "".
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// load calls Load and fails the test on error.
func load(t *testing.T, vars map[string]string, needs ...config.Need) config.Config {
	t.Helper()
	c, err := config.Load(env(vars), needs...)
	if err != nil {
		t.Fatalf("Load(%v): %v", vars, err)
	}
	return c
}

// loadErr calls Load, which must fail, and returns the error text.
func loadErr(t *testing.T, vars map[string]string, needs ...config.Need) string {
	t.Helper()
	c, err := config.Load(env(vars), needs...)
	if err == nil {
		t.Fatalf("Load(%v) = nil error, want one", vars)
	}
	if !reflect.DeepEqual(c, config.Config{}) {
		t.Errorf("Load returned a non-zero Config along with error %v", err)
	}
	return err.Error()
}

// containsAll fails the test for each of wants that the error text got
// does not contain.
func containsAll(t *testing.T, got string, wants []string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("error = %q, want it to contain %q", got, w)
		}
	}
}

// writeFile writes content to a file in a fresh temporary directory.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadWithAnEmptyEnvironment(t *testing.T) {
	got := load(t, nil)
	want := config.Config{CookieSecure: true, LogLevel: slog.LevelInfo, Settings: settings.Default()}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(empty) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadReadsAndTrimsTheVariables(t *testing.T) {
	got := load(t, map[string]string{
		"TABLE_NAME":            " registrations\n",
		"SES_CONFIGURATION_SET": "\tcustomers",
	}, config.NeedTable)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"the table name is read trimmed", got.Table, "registrations"},
		{"the configuration set is read trimmed", got.ConfigurationSet, "customers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestLoadReportsMissingNeeds(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		needs   []config.Need
		want    []string // substrings of the error; nil means success
		notWant []string
	}{
		{
			"a missing table is reported",
			nil, []config.Need{config.NeedTable},
			[]string{"TABLE_NAME is not set"}, nil,
		},
		{
			"a blank table name counts as missing",
			map[string]string{"TABLE_NAME": "   "}, []config.Need{config.NeedTable},
			[]string{"TABLE_NAME"}, nil,
		},
		{
			"nothing is reported when nothing is needed",
			nil, nil,
			nil, nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				load(t, tt.vars, tt.needs...)
				return
			}
			got := loadErr(t, tt.vars, tt.needs...)
			containsAll(t, got, tt.want)
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("error = %q, want it not to mention %q", got, w)
				}
			}
		})
	}
}

// variable is one environment variable Load reads into one field.
type variable[T comparable] struct {
	name    string                    // COOKIE_SECURE
	field   string                    // CookieSecure
	get     func(config.Config) T     // reads the field
	refusal func(value string) string // what the error says of a bad value
}

// valueCase is a value of a variable and the field Load makes of it, or an
// error.
type valueCase[T comparable] struct {
	name    string
	value   string
	want    T
	wantErr bool
}

// checkValues loads each case's value of v alone: a wantErr case must fail
// with v.refusal(value) in the error, any other must set the field to want.
func checkValues[T comparable](t *testing.T, v variable[T], tests []valueCase[T]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{v.name: tt.value}
			if tt.wantErr {
				got := loadErr(t, vars)
				if want := v.refusal(tt.value); !strings.Contains(got, want) {
					t.Errorf("error = %q, want it to contain %q", got, want)
				}
				return
			}
			if got := v.get(load(t, vars)); got != tt.want {
				t.Errorf("%s = %v, want %v", v.field, got, tt.want)
			}
		})
	}
}

func TestLoadCookieSecure(t *testing.T) {
	cookieSecure := variable[bool]{
		name: "COOKIE_SECURE", field: "CookieSecure",
		get: func(c config.Config) bool { return c.CookieSecure },
		refusal: func(value string) string {
			return `COOKIE_SECURE must be true or false, got "` + strings.TrimSpace(value) + `"`
		},
	}
	checkValues(t, cookieSecure, []valueCase[bool]{
		{"unset means secure", "", true, false},
		{"blank means secure", "  ", true, false},
		{"true is secure", "true", true, false},
		{"TRUE is secure", "TRUE", true, false},
		{"1 is secure", "1", true, false},
		{"false is not secure", "false", false, false},
		{"False with spaces is not secure", " False ", false, false},
		{"0 is not secure", "0", false, false},
		{"maybe is an error", "maybe", false, true},
		{"yes is an error", "yes", false, true},
		{"off is an error", "off", false, true},
	})
}

func TestLoadLogLevel(t *testing.T) {
	logLevel := variable[slog.Level]{
		name: "LOG_LEVEL", field: "LogLevel",
		get: func(c config.Config) slog.Level { return c.LogLevel },
		refusal: func(value string) string {
			return `LOG_LEVEL must be DEBUG, INFO, WARN or ERROR, got "` + value + `"`
		},
	}
	checkValues(t, logLevel, []valueCase[slog.Level]{
		{"unset means INFO", "", slog.LevelInfo, false},
		{"DEBUG is read", "DEBUG", slog.LevelDebug, false},
		{"lower-case debug is read", "debug", slog.LevelDebug, false},
		{"WARN is read", "WARN", slog.LevelWarn, false},
		{"ERROR with spaces is read", " ERROR ", slog.LevelError, false},
		{"an offset level is read", "INFO+2", slog.LevelInfo + 2, false},
		{"an unknown level is an error", "verbose", 0, true},
		{"a number is an error", "3", 0, true},
	})
}

func TestLoadSettings(t *testing.T) {
	const doc = `{"storeName": "Ada's Shop", "defaultLanguage": "de"}`
	tests := []struct {
		name string
		vars func(t *testing.T) map[string]string
	}{
		{"inline REGISTRATION_SETTINGS are used", func(t *testing.T) map[string]string {
			return map[string]string{"REGISTRATION_SETTINGS": doc}
		}},
		{"the file REGISTRATION_SETTINGS_FILE names is read", func(t *testing.T) map[string]string {
			return map[string]string{"REGISTRATION_SETTINGS_FILE": writeFile(t, doc)}
		}},
		{"the file name is trimmed", func(t *testing.T) map[string]string {
			return map[string]string{"REGISTRATION_SETTINGS_FILE": " " + writeFile(t, doc) + "\n"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := load(t, tt.vars(t)).Settings
			want := settings.Default()
			want.StoreName, want.DefaultLanguage = "Ada's Shop", "de"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Settings =\n%+v\nwant\n%+v", got, want)
			}
		})
	}

	t.Run("an empty settings file gives the defaults", func(t *testing.T) {
		got := load(t, map[string]string{"REGISTRATION_SETTINGS_FILE": writeFile(t, "")}).Settings
		if !reflect.DeepEqual(got, settings.Default()) {
			t.Errorf("Settings = %+v, want the defaults", got)
		}
	})
}

func TestLoadSettingsErrors(t *testing.T) {
	tests := []struct {
		name string
		vars func(t *testing.T) map[string]string
		want []string
	}{
		{
			"both inline settings and a file are an error naming both",
			func(t *testing.T) map[string]string {
				return map[string]string{"REGISTRATION_SETTINGS": "{}", "REGISTRATION_SETTINGS_FILE": writeFile(t, "{}")}
			},
			[]string{"set REGISTRATION_SETTINGS or REGISTRATION_SETTINGS_FILE, not both"},
		},
		{
			"a missing settings file is an error naming the variable",
			func(t *testing.T) map[string]string {
				return map[string]string{"REGISTRATION_SETTINGS_FILE": filepath.Join(t.TempDir(), "missing.json")}
			},
			[]string{"REGISTRATION_SETTINGS_FILE:", "missing.json"},
		},
		{
			"invalid inline settings are an error naming the variable and the key",
			func(t *testing.T) map[string]string {
				return map[string]string{"REGISTRATION_SETTINGS": `{"urls": {"loginPath": "//evil"}}`}
			},
			[]string{"REGISTRATION_SETTINGS is invalid", "settings.urls.loginPath:"},
		},
		{
			"an unknown inline key is an error naming the key",
			func(t *testing.T) map[string]string {
				return map[string]string{"REGISTRATION_SETTINGS": `{"storName": "x"}`}
			},
			[]string{"REGISTRATION_SETTINGS", `"storName"`},
		},
		{
			"invalid settings in a file are an error naming the key",
			func(t *testing.T) map[string]string {
				return map[string]string{"REGISTRATION_SETTINGS_FILE": writeFile(t, `{"mailFrom": "Name <a@b.com>"}`)}
			},
			[]string{"settings.mailFrom:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			containsAll(t, loadErr(t, tt.vars(t)), tt.want)
		})
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	got := loadErr(t, map[string]string{
		"COOKIE_SECURE":         "maybe",
		"LOG_LEVEL":             "loud",
		"REGISTRATION_SETTINGS": `{"registrationType": "Open"}`,
	}, config.NeedTable)
	containsAll(t, got, []string{"configuration error", "TABLE_NAME", "COOKIE_SECURE", "LOG_LEVEL", "settings.registrationType:"})
}

// TestLoadAPIURL: the API's endpoint the stack passes (no publicApi in the
// settings, no custom domain) is where mailed links point.
func TestLoadAPIURL(t *testing.T) {
	t.Run("the endpoint becomes the public API URL, without its trailing slash", func(t *testing.T) {
		c := load(t, map[string]string{config.EnvAPIURL: "https://abc123.execute-api.eu-west-1.amazonaws.com/"})
		if got := c.Settings.URLs.PublicAPI; got != "https://abc123.execute-api.eu-west-1.amazonaws.com" {
			t.Errorf("publicApi = %q", got)
		}
	})
	t.Run("an endpoint that is no URL stops the function, naming the variable", func(t *testing.T) {
		if msg := loadErr(t, map[string]string{config.EnvAPIURL: "not a url"}); !strings.Contains(msg, config.EnvAPIURL) {
			t.Errorf("error %q does not name %s", msg, config.EnvAPIURL)
		}
	})
}

// TestLoadCodeKeys: the one-time codes' key ring the stack names
// (CODE_KEYS_SECRET) is read as a secret reference and checked as the
// settings check theirs; unset, there is none.
func TestLoadCodeKeys(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:CodeKeys-AbCdEf"
	valid := []struct{ name, value, want string }{
		{"the stack's reference, trimmed", " secretsmanager:" + arn + "\n", "secretsmanager:" + arn},
		{"a parameter", "ssm:/shop/code-keys", "ssm:/shop/code-keys"},
		{"a file, for a local run", "file:/tmp/code-keys.json", "file:/tmp/code-keys.json"},
		{"unset", "", ""},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, map[string]string{config.EnvCodeKeys: tt.value})
			if c.CodeKeys != tt.want {
				t.Errorf("CodeKeys = %q, want %q", c.CodeKeys, tt.want)
			}
			if c.Settings.DeviceTrust.Secret != "" {
				t.Errorf("the code keys became the device keys: %q", c.Settings.DeviceTrust.Secret)
			}
		})
	}
	malformed := []struct{ name, value, want string }{
		{"an unknown place", "vault:code-keys", "must start with ssm:, secretsmanager: or file:"},
		{"no name", "secretsmanager:", "must name where the secret key is kept"},
		{"a bare name", "CodeKeys", "must name where the secret key is kept"},
		{"a parameter path without its leading slash", "ssm:shop/code-keys", "starts with '/'"},
		{"the key ring itself", `{"current":"k1","k1":"abc"}`, "the secret itself never goes here"},
	}
	for _, tt := range malformed {
		t.Run(tt.name+" is refused, naming the variable", func(t *testing.T) {
			msg := loadErr(t, map[string]string{config.EnvCodeKeys: tt.value})
			containsAll(t, msg, []string{config.EnvCodeKeys, tt.want})
			if strings.Contains(msg, "abc") {
				t.Errorf("the error repeats the key: %q", msg)
			}
		})
	}
}
