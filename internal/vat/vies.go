package vat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/openreg/registration/internal/customer"
)

// Doer sends HTTP requests (*http.Client).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// VIES asks the European Commission's VIES REST API about a number: GET
// {base}/ms/{country}/vat/{national part}, answered by JSON with isValid,
// userError, name and address.
type VIES struct {
	base    string
	client  Doer
	timeout time.Duration
}

// NewVIES returns a client of the API at base, each call bounded by timeout.
func NewVIES(base string, client Doer, timeout time.Duration) *VIES {
	return &VIES{base: strings.TrimRight(base, "/"), client: client, timeout: timeout}
}

// Answer is what VIES said of a number.
type Answer struct {
	Status  customer.VatStatus // valid or invalid
	Name    string
	Address string
}

// Unavailable is VIES, or the member state's system behind it, not
// answering: the check is tried again later.
type Unavailable struct{ Reason string }

func (e *Unavailable) Error() string { return "vies unavailable: " + e.Reason }

// answer is the API's JSON (the fields this service reads).
type answer struct {
	IsValid   *bool  `json:"isValid"`
	UserError string `json:"userError"`
	Name      string `json:"name"`
	Address   string `json:"address"`
	// ActionSucceed is false on the API's error documents
	// ({"actionSucceed":false,"errorWrappers":[{"error":...}]}).
	ActionSucceed *bool `json:"actionSucceed"`
	Errors        []struct {
		Error string `json:"error"`
	} `json:"errorWrappers"`
}

// Check asks VIES about a normalised number. An error is an *Unavailable
// (try again) unless the number cannot be asked about at all.
func (v *VIES) Check(ctx context.Context, number string) (Answer, error) {
	country, national := Split(number)
	if country == "" || national == "" {
		return Answer{}, errors.New("vat: no number to check")
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	u := v.base + "/ms/" + url.PathEscape(country) + "/vat/" + url.PathEscape(national)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return Answer{}, &Unavailable{Reason: err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Answer{}, &Unavailable{Reason: fmt.Sprintf("HTTP %d", resp.StatusCode)}
	}
	var a answer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&a); err != nil {
		return Answer{}, &Unavailable{Reason: "no JSON: " + err.Error()}
	}
	if (a.ActionSucceed != nil && !*a.ActionSucceed) || len(a.Errors) > 0 {
		reason := "error document"
		if len(a.Errors) > 0 {
			reason = a.Errors[0].Error
		}
		return Answer{}, &Unavailable{Reason: reason}
	}
	switch a.UserError {
	case "VALID", "":
		switch {
		case a.IsValid == nil:
			// Neither an answer nor a known error: never guess invalid.
			return Answer{}, &Unavailable{Reason: "an answer without isValid"}
		case *a.IsValid:
			return Answer{Status: customer.VatValid, Name: shown(a.Name), Address: shown(a.Address)}, nil
		}
		return Answer{Status: customer.VatInvalid}, nil
	case "INVALID", "INVALID_INPUT", "VAT_BLOCKED":
		// Not registered, not a number VIES takes, or blocked from
		// cross-border trade: not a valid EU VAT number either way.
		return Answer{Status: customer.VatInvalid}, nil
	}
	// MS_UNAVAILABLE, SERVICE_UNAVAILABLE, TIMEOUT, the concurrency
	// limits, and what the API may add: VIES could not tell.
	return Answer{}, &Unavailable{Reason: a.UserError}
}

// shown is a name or address as VIES gives it, "---" meaning the member
// state does not share it.
func shown(s string) string {
	s = strings.TrimSpace(s)
	if s == "---" {
		return ""
	}
	return s
}
