// Package config loads a function's configuration from its environment, once,
// at cold start, and says exactly what is wrong when it cannot. It is the only
// package that reads environment variables, and it reads them through the
// getenv function main passes in.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/openreg/registration/internal/settings"
)

// Environment variable names.
const (
	EnvTable            = "TABLE_NAME"
	EnvSettings         = "REGISTRATION_SETTINGS"
	EnvSettingsFile     = "REGISTRATION_SETTINGS_FILE"
	EnvConfigurationSet = "SES_CONFIGURATION_SET"
	EnvCookieSecure     = "COOKIE_SECURE"
	EnvLogLevel         = "LOG_LEVEL"
)

// Config is a function's configuration.
type Config struct {
	Table            string
	ConfigurationSet string
	CookieSecure     bool
	LogLevel         slog.Level
	Settings         settings.Settings
}

// Need names a setting a function cannot run without.
type Need int

// What a function may need.
const (
	NeedTable Need = iota
)

// Load reads the configuration. needs lists what this function requires;
// everything missing or malformed is reported at once, naming the variable.
func Load(getenv func(string) string, needs ...Need) (Config, error) {
	var errs []error
	c := Config{
		Table:            strings.TrimSpace(getenv(EnvTable)),
		ConfigurationSet: strings.TrimSpace(getenv(EnvConfigurationSet)),
		CookieSecure:     true,
	}
	for _, n := range needs {
		switch {
		case n == NeedTable && c.Table == "":
			errs = append(errs, fmt.Errorf("%s is not set: name the DynamoDB table", EnvTable))
		}
	}
	if v := strings.TrimSpace(getenv(EnvCookieSecure)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false, got %q", EnvCookieSecure, v))
		}
		c.CookieSecure = b
	}
	if v := strings.TrimSpace(getenv(EnvLogLevel)); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("%s must be DEBUG, INFO, WARN or ERROR, got %q", EnvLogLevel, v))
		}
	}
	doc, source, err := settingsDocument(getenv)
	if err != nil {
		errs = append(errs, err)
	} else if c.Settings, err = settings.Parse(doc); err != nil {
		errs = append(errs, fmt.Errorf("%s is invalid:\n%w", source, err))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration error:\n%w", errors.Join(errs...))
	}
	return c, nil
}

// settingsDocument returns the settings JSON from REGISTRATION_SETTINGS, or
// from the file REGISTRATION_SETTINGS_FILE names, and where it came from;
// empty means defaults.
func settingsDocument(getenv func(string) string) ([]byte, string, error) {
	inline, file := strings.TrimSpace(getenv(EnvSettings)), strings.TrimSpace(getenv(EnvSettingsFile))
	switch {
	case inline != "" && file != "":
		return nil, "", fmt.Errorf("set %s or %s, not both", EnvSettings, EnvSettingsFile)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", EnvSettingsFile, err)
		}
		return b, fmt.Sprintf("%s (%s)", EnvSettingsFile, file), nil
	}
	return []byte(inline), EnvSettings, nil
}
