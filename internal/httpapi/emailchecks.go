package httpapi

import (
	"context"
	"net/http"

	"github.com/openreg/registration/internal/apperr"
)

type emailCheckBody struct {
	Email string `json:"email"`
}

// emailCheckAnswer is the check's answer; suggestion and domainAcceptsMail
// are null when there is none, or DNS did not answer in time.
type emailCheckAnswer struct {
	Valid             bool    `json:"valid"`
	Suggestion        *string `json:"suggestion"`
	Disposable        bool    `json:"disposable"`
	DomainAcceptsMail *bool   `json:"domainAcceptsMail"`
}

// checkEmail answers POST /v1/email-checks. It reads no account: the answer
// is the same for a registered address and a new one.
func (a *API) checkEmail(ctx context.Context, r *Request, b emailCheckBody) (*Response, error) {
	if a.checks == nil {
		return nil, apperr.New(apperr.NotFound, "No such resource.")
	}
	res, err := a.checks.CheckFor(ctx, b.Email, r.SourceIP)
	if err != nil {
		return nil, err
	}
	out := emailCheckAnswer{Valid: res.Valid, Disposable: res.Disposable, DomainAcceptsMail: res.DomainAcceptsMail}
	if res.Suggestion != "" {
		out.Suggestion = &res.Suggestion
	}
	resp := jsonResponse(http.StatusOK, out)
	resp.Headers["Cache-Control"] = "no-store"
	return resp, nil
}
