package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/session"
)

// AdminPrefix starts every back-office path. Those routes are served by the
// admin function only, and carry API Gateway's IAM authorisation when
// deployed (the local gateway's admin token locally).
const AdminPrefix = "/v1/admin/"

// IsAdmin reports whether a route path is a back-office route.
func IsAdmin(path string) bool { return strings.HasPrefix(path, AdminPrefix) }

// BackOffice runs the back office (admin.Service).
type BackOffice interface {
	Create(ctx context.Context, op admin.Operator, r admin.CreateRequest) (customer.Customer, error)
	Import(ctx context.Context, op admin.Operator, entries []admin.ImportEntry, invite bool) (admin.ImportResult, error)
	List(ctx context.Context, storeID, status string, limit int, cursor string) (admin.Page, error)
	Approve(ctx context.Context, op admin.Operator, id string) (customer.Customer, error)
	Deactivate(ctx context.Context, op admin.Operator, id string) (customer.Customer, error)
	ResendVerification(ctx context.Context, op admin.Operator, id string) error
	Impersonate(ctx context.Context, op admin.Operator, id string) (session.Issued, error)
	Activity(ctx context.Context, id string, limit int, cursor string) (admin.ActivityPage, error)
	Consents(ctx context.Context, id string) ([]customer.ConsentRecord, error)
}

// operator is who calls a back-office route: the IAM principal API Gateway
// authorised. Without one the request never came through the back office's
// authorisation, and it is refused.
func (r *Request) operator() (admin.Operator, error) {
	if r.Operator == "" {
		return "", apperr.New(apperr.Forbidden, "The back office needs its authorisation.")
	}
	return admin.Operator(r.Operator), nil
}

// backOffice is a back-office endpoint: it is given the operator, and a
// request without one is refused before anything else is looked at.
func backOffice(h func(a *API, ctx context.Context, r *Request, op admin.Operator) (*Response, error)) endpoint {
	return func(a *API, ctx context.Context, r *Request) (*Response, error) {
		op, err := r.operator()
		if err != nil {
			return nil, err
		}
		return h(a, ctx, r, op)
	}
}

// adminCustomer is a customer as the back office sees it.
type adminCustomer struct {
	CustomerID    string           `json:"customerId"`
	Email         string           `json:"email"`
	Username      string           `json:"username,omitempty"`
	Status        string           `json:"status"`
	EmailVerified bool             `json:"emailVerified"`
	EmailStatus   string           `json:"emailStatus"`
	StoreID       string           `json:"storeId"`
	Profile       customer.Profile `json:"profile"`
	CreatedAt     string           `json:"createdAt"`
}

// listStatus is the back office's name of a status: Unverified until the
// link is used, then Verified.
func listStatus(s customer.Status) string {
	if s == customer.Active {
		return "verified"
	}
	return string(s)
}

func adminView(c customer.Customer) adminCustomer {
	return adminCustomer{CustomerID: c.ID, Email: c.Email, Username: c.Username, Status: listStatus(c.Status),
		EmailVerified: !c.EmailVerifiedAt.IsZero(), EmailStatus: emailStatusOf(c), StoreID: c.StoreID, Profile: c.Profile, CreatedAt: rfc3339(c.CreatedAt)}
}

// adminCreateBody is POST /v1/admin/customers: the registration's profile
// fields (at the top level, as in registration), with or without a password.
type adminCreateBody struct {
	customer.Profile
	Email      string               `json:"email"`
	Username   string               `json:"username"`
	Password   string               `json:"password"`
	Language   string               `json:"language"`
	Attributes map[string]attrValue `json:"attributes,omitempty"`
}

// adminCreate answers POST /v1/admin/customers.
func (a *API) adminCreate(ctx context.Context, r *Request, op admin.Operator) (*Response, error) {
	var b adminCreateBody
	if err := r.decodeJSON(&b); err != nil {
		return nil, err
	}
	storeID, err := r.storeID()
	if err != nil {
		return nil, err
	}
	c, err := a.office.Create(ctx, op, admin.CreateRequest{Email: b.Email, Username: b.Username, Password: b.Password,
		Profile: b.Profile, Attributes: attributesOf(b.Attributes), Language: b.Language, StoreID: storeID})
	if err != nil {
		return nil, err
	}
	resp := jsonResponse(http.StatusCreated, map[string]string{"customerId": c.ID, "status": listStatus(c.Status)})
	resp.Headers["Location"] = AdminPrefix + "customers/" + c.ID
	return resp, nil
}

// pageParams reads limit (default 25) and cursor.
func (r *Request) pageParams() (int, string, error) {
	limit := 25
	if v := r.Query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, "", apperr.Invalid([]apperr.FieldError{{Field: "limit", Code: "out_of_range", Message: "Limit must be from 1 to 100."}})
		}
		limit = n
	}
	return limit, r.Query.Get("cursor"), nil
}

type customerPage struct {
	Customers  []adminCustomer `json:"customers"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// adminList answers GET /v1/admin/customers.
func (a *API) adminList(ctx context.Context, r *Request, _ admin.Operator) (*Response, error) {
	limit, cursor, err := r.pageParams()
	if err != nil {
		return nil, err
	}
	storeID, err := r.storeID()
	if err != nil {
		return nil, err
	}
	p, err := a.office.List(ctx, storeID, r.Query.Get("status"), limit, cursor)
	if err != nil {
		return nil, err
	}
	b := customerPage{Customers: []adminCustomer{}, NextCursor: p.Cursor}
	for _, c := range p.Customers {
		b.Customers = append(b.Customers, adminView(c))
	}
	return jsonResponse(http.StatusOK, b), nil
}

// adminChanged answers an operator's action on a customer with the
// customer as it is now.
func adminChanged(c customer.Customer, err error) (*Response, error) {
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, adminView(c)), nil
}

// adminApprove answers POST /v1/admin/customers/{id}/approve.
func (a *API) adminApprove(ctx context.Context, r *Request, op admin.Operator) (*Response, error) {
	return adminChanged(a.office.Approve(ctx, op, r.PathParams["id"]))
}

// adminDeactivate answers POST /v1/admin/customers/{id}/deactivate.
func (a *API) adminDeactivate(ctx context.Context, r *Request, op admin.Operator) (*Response, error) {
	return adminChanged(a.office.Deactivate(ctx, op, r.PathParams["id"]))
}

// adminResend answers POST /v1/admin/customers/{id}/verification-email.
func (a *API) adminResend(ctx context.Context, r *Request, op admin.Operator) (*Response, error) {
	return answer(a.office.ResendVerification(ctx, op, r.PathParams["id"]), accepted())
}

// adminImpersonate answers POST /v1/admin/customers/{id}/impersonation.
func (a *API) adminImpersonate(ctx context.Context, r *Request, op admin.Operator) (*Response, error) {
	s, err := a.office.Impersonate(ctx, op, r.PathParams["id"])
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusCreated, map[string]string{"sessionToken": s.Token, "expiresAt": rfc3339(s.ExpiresAt)}), nil
}

// adminActivity answers GET /v1/admin/customers/{id}/activity.
func (a *API) adminActivity(ctx context.Context, r *Request, _ admin.Operator) (*Response, error) {
	limit, cursor, err := r.pageParams()
	if err != nil {
		return nil, err
	}
	p, err := a.office.Activity(ctx, r.PathParams["id"], limit, cursor)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, struct {
		Activity   []activityBody `json:"activity"`
		NextCursor string         `json:"nextCursor,omitempty"`
	}{Activity: activitiesOf(p.Entries), NextCursor: p.Cursor}), nil
}

// adminConsents answers GET /v1/admin/customers/{id}/consents.
func (a *API) adminConsents(ctx context.Context, r *Request, _ admin.Operator) (*Response, error) {
	log, err := a.office.Consents(ctx, r.PathParams["id"])
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, struct {
		Consents []consentBody `json:"consents"`
	}{Consents: consentsOf(log)}), nil
}
