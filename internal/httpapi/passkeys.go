package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/signin"
)

// passkeyOptionsBody asks for the options of a new passkey: the password
// again, or a sign-in code mailed to the account (a session alone adds
// none).
type passkeyOptionsBody struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// newPasskeyBody is the browser's answer to the creation options
// (PublicKeyCredential, as JSON) and an optional name.
type newPasskeyBody struct {
	Credential json.RawMessage `json:"credential,omitempty"`
	Name       string          `json:"name"`
}

// passkeySessionBody is the browser's answer to the request options.
type passkeySessionBody struct {
	ChallengeID string          `json:"challengeId"`
	Credential  json.RawMessage `json:"credential,omitempty"`
}

// passkeyBody is one of the customer's passkeys as the API shows it.
type passkeyBody struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt,omitempty"`
	Synced     bool   `json:"synced"`
}

func passkeyOf(p passkey.Credential) passkeyBody {
	b := passkeyBody{ID: p.IDText(), Name: p.Name, CreatedAt: rfc3339(p.CreatedAt), Synced: p.BackupState}
	if !p.LastUsedAt.IsZero() {
		b.LastUsedAt = rfc3339(p.LastUsedAt)
	}
	return b
}

// options answers with WebAuthn options, never cached.
func options(opts json.RawMessage, err error) (*Response, error) {
	if err != nil {
		return nil, err
	}
	resp := jsonResponse(http.StatusOK, opts)
	resp.Headers["Cache-Control"] = "no-store"
	return resp, nil
}

// passkeyOptions answers POST /v1/customers/me/passkeys/options.
func (a *API) passkeyOptions(ctx context.Context, r *Request, b passkeyOptionsBody) (*Response, error) {
	return options(a.account.PasskeyOptions(ctx, r.SessionToken(), b.Password, b.Code, r.SourceIP))
}

// addPasskey answers POST /v1/customers/me/passkeys: 201 and the passkey.
func (a *API) addPasskey(ctx context.Context, r *Request, b newPasskeyBody) (*Response, error) {
	p, err := a.account.AddPasskey(ctx, r.SessionToken(), b.Credential, b.Name, r.SourceIP)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusCreated, passkeyOf(p)), nil
}

// listPasskeys answers GET /v1/customers/me/passkeys.
func (a *API) listPasskeys(ctx context.Context, r *Request) (*Response, error) {
	all, err := a.account.ListPasskeys(ctx, r.SessionToken())
	if err != nil {
		return nil, err
	}
	out := struct {
		Passkeys []passkeyBody `json:"passkeys"`
	}{Passkeys: []passkeyBody{}}
	for _, p := range all {
		out.Passkeys = append(out.Passkeys, passkeyOf(p))
	}
	resp := jsonResponse(http.StatusOK, out)
	resp.Headers["Cache-Control"] = "no-store"
	return resp, nil
}

// removePasskey answers DELETE /v1/customers/me/passkeys/{id}.
func (a *API) removePasskey(ctx context.Context, r *Request) (*Response, error) {
	return answer(a.account.RemovePasskey(ctx, r.SessionToken(), r.PathParams["id"], r.SourceIP), emptyResponse(http.StatusNoContent))
}

// passkeySignInOptions answers POST /v1/passkey-sessions/options.
func (a *API) passkeySignInOptions(ctx context.Context, r *Request) (*Response, error) {
	return options(a.signIn.PasskeyOptions(ctx, r.SourceIP))
}

// passkeySignIn answers POST /v1/passkey-sessions: a sign-in, answered as
// POST /v1/sessions answers one.
func (a *API) passkeySignIn(ctx context.Context, r *Request, b passkeySessionBody) (*Response, error) {
	res, err := a.signIn.PasskeySignIn(ctx, signin.PasskeyRequest{ChallengeID: b.ChallengeID, Credential: b.Credential,
		SourceIP: r.SourceIP, UserAgent: r.Headers["user-agent"], GuestID: r.GuestID()})
	if err != nil {
		return nil, err
	}
	return a.sessionAnswer(r, res, false), nil
}
