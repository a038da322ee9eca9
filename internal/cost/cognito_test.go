package cost_test

import (
	"strings"
	"testing"

	"github.com/openreg/registration/internal/cost"
)

func TestCognitoPlanMonthly(t *testing.T) {
	lite, essentials, plus := cost.USEast1.CognitoLite, cost.USEast1.CognitoEssentials, cost.USEast1.CognitoPlus
	tests := []struct {
		name string
		plan cost.CognitoPlan
		mau  int64
		want float64
	}{
		{"Lite's first 10,000 MAUs are free", lite, 10_000, 0},
		{"Lite's 10,001st MAU costs $0.0055", lite, 10_001, 0.0055},
		{"Lite at 100,000 MAUs is 90,000 at $0.0055", lite, 100_000, 90_000 * 0.0055},
		{"Lite at a million MAUs adds 900,000 at $0.0046", lite, 1_000_000, 90_000*0.0055 + 900_000*0.0046},
		{"Lite at two million MAUs adds a million at $0.00325", lite, 2_000_000, 90_000*0.0055 + 900_000*0.0046 + 1_000_000*0.00325},
		{"Lite beyond ten million MAUs is $0.0025 each", lite, 10_000_001, 90_000*0.0055 + 900_000*0.0046 + 9_000_000*0.00325 + 0.0025},
		{"Essentials at a million MAUs is 990,000 at $0.015", essentials, 1_000_000, 990_000 * 0.015},
		{"Essentials below its free tier costs nothing", essentials, 9_999, 0},
		{"Plus has no free tier", plus, 1, 0.02},
		{"Plus at a million MAUs is $20,000", plus, 1_000_000, 20_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.plan.Monthly(tt.mau); !near(got, tt.want) {
				t.Errorf("Monthly(%d) = %v, want %v", tt.mau, got, tt.want)
			}
		})
	}
}

func TestCognitoPerMillionRegistrations(t *testing.T) {
	if got, want := cost.CognitoPerMillionRegistrations(cost.USEast1.CognitoLite), 4635.0; !near(got, want) {
		t.Errorf("Lite: got %v, want %v", got, want)
	}
	if got, want := cost.CognitoPerMillionRegistrations(cost.USEast1.CognitoEssentials), 14850.0; !near(got, want) {
		t.Errorf("Essentials: got %v, want %v", got, want)
	}
}

func TestCompareNamesEveryPlan(t *testing.T) {
	b, err := cost.Price(cost.USEast1, cost.Flow{{Name: "register", APIRequests: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := cost.Compare(&sb, b, cost.USEast1); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"our flow", "1.00", "Cognito Lite", "4635.00", "Cognito Essentials", "14850.00", "Cognito Plus", "20000.00"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("comparison has no %q:\n%s", want, sb.String())
		}
	}
}
