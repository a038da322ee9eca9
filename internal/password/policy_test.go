package password_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/password"
)

// codes returns the violation codes in order, so tables can compare them.
func codes(t *testing.T, vs []password.Violation) []string {
	t.Helper()
	out := []string{}
	for _, v := range vs {
		if v.Message == "" {
			t.Errorf("violation %q has an empty message", v.Code)
		}
		out = append(out, v.Code)
	}
	return out
}

// checkValidate fails the test unless err is nil when wantErr is "" and
// otherwise an error containing wantErr.
func checkValidate(t *testing.T, err error, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Errorf("Validate() = %v, want nil", err)
	case wantErr != "" && err == nil:
		t.Errorf("Validate() = nil, want an error containing %q", wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		t.Errorf("Validate() = %q, want it to contain %q", err, wantErr)
	}
}

func TestPolicyCheck(t *testing.T) {
	all := password.Policy{
		MinLength: 4, MaxLength: 64,
		RequireUppercase: true, RequireLowercase: true, RequireDigit: true, RequireNonAlphanumeric: true,
	}
	tests := []struct {
		name   string
		policy password.Policy
		pw     string
		want   []string
	}{
		{"a password meeting the default policy passes", password.DefaultPolicy(), "sextant", []string{}},
		{"a password one character short is too_short", password.DefaultPolicy(), "shrub", []string{"too_short"}},
		{"an empty password is too_short", password.DefaultPolicy(), "", []string{"too_short"}},
		{"a password of exactly maxLength passes", password.DefaultPolicy(), strings.Repeat("a", 64), []string{}},
		{"a password one character over maxLength is too_long", password.DefaultPolicy(), strings.Repeat("a", 65), []string{"too_long"}},
		{"length is counted in runes so six two-byte letters meet minLength 6", password.Policy{MinLength: 6, MaxLength: 6}, "ääääää", []string{}},
		{"length is counted in runes so seven two-byte letters exceed maxLength 6", password.Policy{MinLength: 1, MaxLength: 6}, "äääääää", []string{"too_long"}},
		{"length is counted in runes so three four-byte emoji are too short for minLength 4", password.Policy{MinLength: 4, MaxLength: 10}, "😀😀😀", []string{"too_short"}},
		{"a NUL byte is a control_character", password.DefaultPolicy(), "secret\x00", []string{"control_character"}},
		{"a tab is a control_character", password.DefaultPolicy(), "sec\tret", []string{"control_character"}},
		{"a newline is a control_character", password.DefaultPolicy(), "secret\n", []string{"control_character"}},
		{"DEL is a control_character", password.DefaultPolicy(), "secret\x7f", []string{"control_character"}},
		{"a C1 control (NEL) is a control_character", password.DefaultPolicy(), "secret\u0085", []string{"control_character"}},
		{"no uppercase letter is missing_uppercase", password.Policy{MinLength: 1, MaxLength: 64, RequireUppercase: true}, "lower1!", []string{"missing_uppercase"}},
		{"a non-ASCII uppercase letter counts as uppercase", password.Policy{MinLength: 1, MaxLength: 64, RequireUppercase: true}, "ärger Ä", []string{}},
		{"no lowercase letter is missing_lowercase", password.Policy{MinLength: 1, MaxLength: 64, RequireLowercase: true}, "UPPER1!", []string{"missing_lowercase"}},
		{"a non-ASCII lowercase letter counts as lowercase", password.Policy{MinLength: 1, MaxLength: 64, RequireLowercase: true}, "ÄRGER ß", []string{}},
		{"no digit is missing_digit", password.Policy{MinLength: 1, MaxLength: 64, RequireDigit: true}, "NoDigits!", []string{"missing_digit"}},
		{"an Arabic-Indic digit counts as a digit", password.Policy{MinLength: 1, MaxLength: 64, RequireDigit: true}, "abc٣", []string{}},
		{"only letters and digits is missing_non_alphanumeric", password.Policy{MinLength: 1, MaxLength: 64, RequireNonAlphanumeric: true}, "Abz497", []string{"missing_non_alphanumeric"}},
		{"a common password is password_breached", password.DefaultPolicy(), "iloveyou", []string{"password_breached"}},
		{"a common password's other forms are password_breached too", password.DefaultPolicy(), "ILoveYou", []string{"password_breached"}},
		{"a common password is reported with every rule it breaks", password.DefaultPolicy(), "abc", []string{"too_short", "password_breached"}},
		{"a space counts as non-alphanumeric", password.Policy{MinLength: 1, MaxLength: 64, RequireNonAlphanumeric: true}, "Abc 123", []string{}},
		{"a symbol outside ASCII counts as non-alphanumeric", password.Policy{MinLength: 1, MaxLength: 64, RequireNonAlphanumeric: true}, "Abc€123", []string{}},
		{"a control character does not count as non-alphanumeric", password.Policy{MinLength: 1, MaxLength: 64, RequireNonAlphanumeric: true}, "Abc\t123", []string{"control_character", "missing_non_alphanumeric"}},
		{"a password with every class passes the strict policy", all, "Aa1!", []string{}},
		{"every broken rule is listed in a fixed order", all, "", []string{"too_short", "missing_uppercase", "missing_lowercase", "missing_digit", "missing_non_alphanumeric"}},
		{"too_long and class rules are reported together", password.Policy{MinLength: 1, MaxLength: 3, RequireDigit: true}, "abcd\x01", []string{"too_long", "control_character", "missing_digit"}},
		{"invalid UTF-8 is only invalid_encoding", all, "\xff", []string{"invalid_encoding"}},
		{"a truncated multi-byte sequence is invalid_encoding", password.DefaultPolicy(), "secret\xc3", []string{"invalid_encoding"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codes(t, tt.policy.Check(tt.pw))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check(%q) = %v, want %v", tt.pw, got, tt.want)
			}
		})
	}
}

func TestPolicyCheckMessagesNameTheLimits(t *testing.T) {
	p := password.Policy{MinLength: 7, MaxLength: 9}
	tests := []struct {
		name string
		pw   string
		want string
	}{
		{"the too_short message names minLength", "xqz", "at least 7 characters"},
		{"the too_long message names maxLength", "xqzvbnmkjh", "at most 9 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := p.Check(tt.pw)
			if len(vs) != 1 {
				t.Fatalf("Check(%q) = %v, want one violation", tt.pw, vs)
			}
			if got := vs[0].Message; !strings.Contains(got, tt.want) {
				t.Errorf("message = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name    string
		policy  password.Policy
		wantErr string // "" means valid
	}{
		{"the default policy is valid", password.DefaultPolicy(), ""},
		{"minLength 1 is valid", password.Policy{MinLength: 1, MaxLength: 1}, ""},
		{"maxLength 1024 is valid", password.Policy{MinLength: 1, MaxLength: 1024}, ""},
		{"four classes fit in maxLength 4", password.Policy{MinLength: 1, MaxLength: 4, RequireUppercase: true, RequireLowercase: true, RequireDigit: true, RequireNonAlphanumeric: true}, ""},
		{"minLength 0 is refused", password.Policy{MinLength: 0, MaxLength: 10}, "minLength must be at least 1"},
		{"a negative minLength is refused", password.Policy{MinLength: -1, MaxLength: 10}, "minLength must be at least 1"},
		{"maxLength below minLength is refused", password.Policy{MinLength: 8, MaxLength: 7}, "maxLength (7) must not be below minLength (8)"},
		{"maxLength above 1024 is refused", password.Policy{MinLength: 1, MaxLength: 1025}, "maxLength must be at most 1024"},
		{"more required classes than maxLength is refused", password.Policy{MinLength: 1, MaxLength: 3, RequireUppercase: true, RequireLowercase: true, RequireDigit: true, RequireNonAlphanumeric: true}, "too short for 4 required character classes"},
		{"the range check is valid", password.Policy{MinLength: 1, MaxLength: 8, BreachedCheck: "range"}, ""},
		{"an unknown breached check is refused", password.Policy{MinLength: 1, MaxLength: 8, BreachedCheck: "online"}, `breachedCheck must be "range"`},
		{"an https range URL is valid", password.Policy{MinLength: 1, MaxLength: 8, BreachedRangeURL: "https://pwned.example/range/"}, ""},
		{"a loopback http range URL (a test's) is valid", password.Policy{MinLength: 1, MaxLength: 8, BreachedRangeURL: "http://127.0.0.1:9/range/"}, ""},
		{"a plain-http range URL elsewhere is refused", password.Policy{MinLength: 1, MaxLength: 8, BreachedRangeURL: "http://pwned.example/range/"}, "must be an https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidate(t, tt.policy.Validate(), tt.wantErr)
		})
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name    string
		params  password.Params
		wantErr string
	}{
		{"the OWASP parameters are valid", password.OWASPParams(), ""},
		{"the smallest parameters are valid", password.Params{MemoryKiB: 8, Iterations: 1, Parallelism: 1}, ""},
		{"1 GiB of memory is valid", password.Params{MemoryKiB: 1 << 20, Iterations: 1, Parallelism: 1}, ""},
		{"zero iterations are refused", password.Params{MemoryKiB: 64, Iterations: 0, Parallelism: 1}, "iterations"},
		{"zero parallelism is refused", password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 0}, "parallelism"},
		{"memory below 8 KiB per lane is refused", password.Params{MemoryKiB: 15, Iterations: 1, Parallelism: 2}, "at least 8×parallelism (16)"},
		{"memory above 1 GiB is refused", password.Params{MemoryKiB: 1<<20 + 1, Iterations: 1, Parallelism: 1}, "at most 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidate(t, tt.params.Validate(), tt.wantErr)
		})
	}
}

func TestOWASPParams(t *testing.T) {
	got := password.OWASPParams()
	want := password.Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}
	if got != want {
		t.Errorf("OWASPParams() = %+v, want %+v", got, want)
	}
}
