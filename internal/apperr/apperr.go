// Package apperr holds the one error type the application speaks: a stable,
// machine-readable code, a human message, optional field problems and the
// cause. Domain code returns these; the HTTP adapter maps codes to statuses in
// a single table, so no handler decides a status on its own.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable snake_case identifier a client can switch on. Codes are
// part of the public contract: add new ones, never rename.
type Code string

// The codes of the v1 contract.
const (
	Validation    Code = "validation_failed"
	MalformedBody Code = "malformed_body"
	UnknownField  Code = "unknown_field"
	// InvalidBody: a JSON body with a key twice, or a key that names a
	// field in other letter case: parsers disagree on such bodies.
	InvalidBody          Code = "invalid_body"
	PayloadTooLarge      Code = "payload_too_large"
	UnsupportedMediaType Code = "unsupported_media_type"
	NotFound             Code = "not_found"
	MethodNotAllowed     Code = "method_not_allowed"

	RegistrationDisabled Code = "registration_disabled"
	EmailTaken           Code = "email_taken"
	UsernameTaken        Code = "username_taken"
	// DisposableEmail, EmailDomainUnreachable: the store's email checks
	// (settings emailChecks) refuse the address; the problem names the
	// field too.
	DisposableEmail        Code = "disposable_email"
	EmailDomainUnreachable Code = "email_domain_unreachable"

	TokenInvalid  Code = "token_invalid"
	TokenExpired  Code = "token_expired"
	TokenReplaced Code = "token_replaced"
	// CodeInvalid: a 6-digit code that is wrong, unknown, spent or
	// malformed (one answer for all, package code).
	CodeInvalid Code = "code_invalid"
	// PasswordMismatch: the password typed on the confirm page is not the
	// account's.
	PasswordMismatch Code = "password_mismatch"

	InvalidCredentials Code = "invalid_credentials"
	EmailNotVerified   Code = "email_not_verified"
	PendingApproval    Code = "pending_approval"
	LockedOut          Code = "locked_out"
	// TooManyRequests: the client (or a login under attack) is over a
	// limit; Retry-After says when to come back.
	TooManyRequests Code = "too_many_requests"
	Unauthenticated Code = "unauthenticated"
	// ImpersonationForbidden: an administrator acting as a customer asked
	// for what only the customer may do.
	ImpersonationForbidden Code = "impersonation_forbidden"
	// Forbidden: the caller is not allowed here (the back office without
	// its authority).
	Forbidden Code = "forbidden"
	// CrossSiteRequest: a browser on another site posted a form or sent
	// the shopper's cookies with a request that changes state.
	CrossSiteRequest Code = "cross_site_request"
	// InvalidStorefrontKey: X-Storefront-Key is none of the live server
	// keys.
	InvalidStorefrontKey Code = "invalid_storefront_key"
	// InvalidShopperAddress: a server storefront's X-Shopper-Address is no
	// IP address.
	InvalidShopperAddress Code = "invalid_shopper_address"
	// InvalidState: the customer is not in a state the action applies to.
	InvalidState Code = "invalid_state"
	// CustomerNotFound: the back office named a customer that does not
	// exist.
	CustomerNotFound Code = "customer_not_found"
	// InvalidCredential: a passkey (WebAuthn) response is malformed, does
	// not verify, answers a challenge that expired or belongs to another
	// ceremony, names a passkey not registered here, or its signature
	// counter went backwards.
	InvalidCredential Code = "invalid_credential"

	// Unavailable means a dependency (database, queue) failed; the request
	// changed nothing and may be retried.
	Unavailable Code = "service_unavailable"
	// Internal is a bug. Its message never reaches the client.
	Internal Code = "internal_error"
)

// FieldError is one problem with one input field.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the application error.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// RetryAfter, when positive, tells the client when to try again (429, 503).
	RetryAfter time.Duration
	// Err is the cause, for logs only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a code and message.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Wrap returns an Error that carries cause for the logs.
func Wrap(code Code, message string, cause error) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Invalid returns a validation error listing every field problem at once.
func Invalid(fields []FieldError) *Error {
	return &Error{Code: Validation, Message: "The request has invalid fields.", Fields: fields}
}

// CodeOf reports the code of err, Internal for errors that are not *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns err as *Error, turning anything else into an Internal error that
// keeps the cause.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Wrap(Internal, "Internal error.", err)
}

// Fields collects field problems while validating a request.
type Fields []FieldError

// Add records a problem with field.
func (f *Fields) Add(field, code, message string) {
	*f = append(*f, FieldError{Field: field, Code: code, Message: message})
}

// Has reports whether a problem with field was recorded.
func (f Fields) Has(field string) bool {
	for _, e := range f {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Err returns a validation error when any problem was recorded, else nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f)
}
