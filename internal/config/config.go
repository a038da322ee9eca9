// Package config loads a function's configuration from its environment, once,
// at cold start, and says exactly what is wrong when it cannot. It is the only
// package that reads environment variables, and it reads them through the
// getenv function main passes in.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/openreg/registration/internal/settings"
)

// Environment variable names.
const (
	EnvTable        = "TABLE_NAME"
	EnvSettings     = "REGISTRATION_SETTINGS"
	EnvSettingsFile = "REGISTRATION_SETTINGS_FILE"
	// EnvTaskRoot is where Lambda put the function's code (and the
	// settings file the stack ships with it).
	EnvTaskRoot = "LAMBDA_TASK_ROOT"
	// SettingsFileName is the settings file in each function's code.
	SettingsFileName    = "settings.json"
	EnvConfigurationSet = "SES_CONFIGURATION_SET"
	EnvCookieSecure     = "COOKIE_SECURE"
	EnvLogLevel         = "LOG_LEVEL"
	// EnvMailQueueURL is the mail queue's URL: the mailer holds back a
	// job that must wait (a VIES outage) by changing its visibility.
	EnvMailQueueURL = "MAIL_QUEUE_URL"
	// EnvDeviceKeys names the device keys' secret the stack generated
	// ("secretsmanager:<ARN>"), for settings that name none.
	EnvDeviceKeys = "DEVICE_KEYS_SECRET"
	// EnvCodeKeys names the one-time codes' key ring the stack generated
	// ("secretsmanager:<ARN>"), given to the functions that mint or check
	// codes (Config.CodeKeys).
	EnvCodeKeys = "CODE_KEYS_SECRET"
	// EnvAPIURL is the API's own endpoint, which the stack gives every
	// function (only) when the settings name no urls.publicApi and no
	// custom domain serves the API; set, it is urls.publicApi, where mailed
	// links start. It is never taken from a request (a client controls
	// Host).
	EnvAPIURL = "API_URL"

	// What Lambda sets for every function (and the local stack imitates).
	EnvRegion          = "AWS_REGION"
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
	// EnvEndpointPrefix + a service's id (DYNAMODB, SESV2) points that
	// service at another endpoint: the standard SDK setting, for the
	// emulators.
	EnvEndpointPrefix = "AWS_ENDPOINT_URL_"
)

// AWS is how a function reaches AWS: the region and the role's credentials
// Lambda puts in the environment, and endpoint overrides by service id. It
// is read here rather than by the SDK's config loader, which would link the
// SSO, STS and shared-file machinery into every binary for nothing.
type AWS struct {
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Endpoints       map[string]string
}

// Endpoint returns the override for a service id ("DYNAMODB", "SESV2"), or
// "" for the service's AWS endpoint.
func (a AWS) Endpoint(service string) string { return a.Endpoints[service] }

// Config is a function's configuration.
type Config struct {
	Table            string
	ConfigurationSet string
	MailQueueURL     string
	CookieSecure     bool
	LogLevel         slog.Level
	Settings         settings.Settings
	AWS              AWS
	// CodeKeys is the reference to the key ring of the one-time codes'
	// keyed hashes (CODE_KEYS_SECRET: "secretsmanager:<ARN>" as the stack
	// sets it; "ssm:" and "file:" references are accepted as in the
	// settings), read like the device keys (a key ring {"current":"k1",
	// "k1":…}). The stack gives it to the mailer, verify-email, account and
	// sign-in. Empty means no key ring: what the codes are hashed with then
	// is up to their users.
	CodeKeys string
}

// Need names a setting a function cannot run without.
type Need int

// What a function may need.
const (
	NeedTable Need = iota
	// NeedAWS: the region and credentials (every deployed function).
	NeedAWS
)

// endpointServices are the services whose endpoint may be overridden.
var endpointServices = []string{"DYNAMODB", "SESV2", "SSM", "SECRETS_MANAGER", "SQS"}

// Load reads the configuration. needs lists what this function requires;
// everything missing or malformed is reported at once, naming the variable.
func Load(getenv func(string) string, needs ...Need) (Config, error) {
	var errs []error
	c := Config{
		Table:            strings.TrimSpace(getenv(EnvTable)),
		ConfigurationSet: strings.TrimSpace(getenv(EnvConfigurationSet)),
		MailQueueURL:     strings.TrimSpace(getenv(EnvMailQueueURL)),
		CookieSecure:     true,
	}
	for _, n := range needs {
		switch {
		case n == NeedTable && c.Table == "":
			errs = append(errs, fmt.Errorf("%s is not set: name the DynamoDB table", EnvTable))
		case n == NeedAWS:
			c.AWS = AWS{Region: strings.TrimSpace(getenv(EnvRegion)), AccessKeyID: strings.TrimSpace(getenv(EnvAccessKeyID)),
				SecretAccessKey: strings.TrimSpace(getenv(EnvSecretAccessKey)), SessionToken: strings.TrimSpace(getenv(EnvSessionToken)),
				Endpoints: map[string]string{}}
			for _, svc := range endpointServices {
				if v := strings.TrimSpace(getenv(EnvEndpointPrefix + svc)); v != "" {
					c.AWS.Endpoints[svc] = v
				}
			}
			for _, v := range [][2]string{{EnvRegion, c.AWS.Region}, {EnvAccessKeyID, c.AWS.AccessKeyID}, {EnvSecretAccessKey, c.AWS.SecretAccessKey}} {
				if v[1] == "" {
					errs = append(errs, fmt.Errorf("%s is not set: Lambda sets it for every function; set it to run one elsewhere", v[0]))
				}
			}
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
	if v := strings.TrimSpace(getenv(EnvDeviceKeys)); v != "" && c.Settings.DeviceTrust.Secret == "" {
		c.Settings.DeviceTrust.Secret = v
		if err := c.Settings.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvDeviceKeys, err))
		}
	}
	if v := strings.TrimSpace(getenv(EnvCodeKeys)); v != "" {
		if err := settings.CheckSecretRef(v); err != nil {
			errs = append(errs, fmt.Errorf("%s %w", EnvCodeKeys, err))
		}
		c.CodeKeys = v
	}
	if v := strings.TrimSpace(getenv(EnvAPIURL)); v != "" {
		// Only the URL is new: the settings were validated by Parse.
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("%s must be the API's absolute http(s) URL, got %q", EnvAPIURL, v))
		}
		c.Settings.URLs.PublicAPI = strings.TrimRight(v, "/")
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
		// A relative path is in the function's own code (Lambda's
		// LAMBDA_TASK_ROOT, /var/task), where the stack ships it.
		if root := strings.TrimSpace(getenv(EnvTaskRoot)); root != "" && !filepath.IsAbs(file) {
			file = filepath.Join(root, file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", EnvSettingsFile, err)
		}
		return b, fmt.Sprintf("%s (%s)", EnvSettingsFile, file), nil
	}
	return []byte(inline), EnvSettings, nil
}
