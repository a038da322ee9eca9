package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/password/legacy"
)

// importBody is POST /v1/admin/customer-imports: each customer is decoded
// on its own, so one malformed entry is skipped, not the call.
type importBody struct {
	Invite    bool              `json:"invite"`
	Customers []json.RawMessage `json:"customers"`
}

// importEntryBody is one customer of an import: the registration's profile
// fields at the top level, as in registration.
type importEntryBody struct {
	customer.Profile
	Email         string               `json:"email"`
	ExternalID    string               `json:"externalId"`
	Store         string               `json:"store"`
	EmailVerified bool                 `json:"emailVerified"`
	Language      string               `json:"language"`
	CreatedAt     string               `json:"createdAt"`
	Attributes    map[string]attrValue `json:"attributes,omitempty"`
	Consents      []importConsentBody  `json:"consents,omitempty"`
	Newsletters   []string             `json:"newsletters,omitempty"`
	PasswordHash  *legacy.Input        `json:"passwordHash,omitempty"`
}

type importConsentBody struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	GivenAt string `json:"givenAt"`
}

type importAnswer struct {
	BatchID  string       `json:"batchId"`
	Imported int          `json:"imported"`
	Skipped  []admin.Skip `json:"skipped"`
}

// adminImport answers POST /v1/admin/customer-imports.
func (a *API) adminImport(ctx context.Context, r *Request, op admin.Operator) (*Response, error) {
	var b importBody
	if err := r.decodeJSONUpTo(MaxImportBody, &b); err != nil {
		return nil, err
	}
	if len(b.Customers) == 0 {
		return nil, apperr.Invalid([]apperr.FieldError{{Field: "customers", Code: "required", Message: "Send at least one customer."}})
	}
	entries := make([]admin.ImportEntry, 0, len(b.Customers))
	var undecoded []admin.Skip
	var at []int // the call's index of each decoded entry
	for i, raw := range b.Customers {
		e, code := importEntry(raw)
		if code != "" {
			undecoded = append(undecoded, admin.Skip{Index: i, Code: code})
			continue
		}
		entries, at = append(entries, e), append(at, i)
	}
	res, err := a.office.Import(ctx, op, entries, b.Invite)
	if err != nil {
		return nil, err
	}
	for i := range res.Skipped {
		res.Skipped[i].Index = at[res.Skipped[i].Index]
	}
	skipped := append(append(make([]admin.Skip, 0, len(undecoded)+len(res.Skipped)), undecoded...), res.Skipped...)
	slices.SortFunc(skipped, func(x, y admin.Skip) int { return x.Index - y.Index })
	return jsonResponse(http.StatusOK, importAnswer{BatchID: res.Batch, Imported: res.Imported, Skipped: skipped}), nil
}

// importEntry decodes one entry strictly: the entry, or the code it is
// skipped with.
func importEntry(raw json.RawMessage) (admin.ImportEntry, string) {
	var b importEntryBody
	if err := decodeStrict(raw, &b); err != nil {
		switch e := apperr.As(err); {
		case len(e.Fields) > 0:
			return admin.ImportEntry{}, e.Fields[0].Code
		case e.Code == apperr.UnknownField, e.Code == apperr.InvalidBody:
			return admin.ImportEntry{}, string(e.Code)
		}
		return admin.ImportEntry{}, "malformed_entry"
	}
	e := admin.ImportEntry{Email: b.Email, ExternalID: b.ExternalID, StoreID: b.Store, EmailVerified: b.EmailVerified,
		Profile: b.Profile, Attributes: attributesOf(b.Attributes), Language: b.Language, Newsletters: b.Newsletters,
		PasswordHash: b.PasswordHash}
	var ok bool
	if e.CreatedAt, ok = importTime(b.CreatedAt); !ok {
		return admin.ImportEntry{}, "invalid_date"
	}
	for _, c := range b.Consents {
		given, ok := importTime(c.GivenAt)
		if !ok || c.ID == "" {
			return admin.ImportEntry{}, "invalid_consent"
		}
		e.Consents = append(e.Consents, admin.ImportedConsent{ID: c.ID, Version: c.Version, GivenAt: given})
	}
	return e, ""
}

// importTime reads an RFC 3339 time; "" is the zero time.
func importTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}
