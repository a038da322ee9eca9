// Package captcha asks a CAPTCHA provider, server-side, whether the token a
// storefront's widget produced was earned by a person. It speaks the verify
// protocols of reCAPTCHA v2 and v3, hCaptcha and Cloudflare Turnstile, which
// share one shape: a form POST of the secret key, the token and the client's
// address, answered by JSON with success, hostname and error codes (v3 and
// Turnstile add the action, v3 a score).
//
// The rules: a missing or refused token is the customer's 400 (field
// captchaToken); a provider that cannot be reached, answers late, answers
// garbage or refuses our own secret is a 503, never a silent pass. A token is
// sent once (no retries: providers refuse a token seen before) and never
// logged.
//
// # Guarantees
//
// A CAPTCHA never passes by accident. The provider is asked once per token, only about a form that
// is otherwise valid, before any password is hashed; an unreachable or slow provider, one that
// answers anything but HTTP 200 with JSON, or one that refuses our secret is a 503, never a pass;
// a token is never logged, and the secret never leaves Parameter Store or Secrets Manager but for
// the functions that verify.
package captcha
