package settings

import "time"

// validateLifetimes checks how long links, unverified accounts and
// sessions last.
func (s Settings) validateLifetimes(p *problems) {
	p.durationIn("verificationTokenLifetime", s.VerificationTokenLifetime, time.Second, 30*24*time.Hour, "")
	p.durationIn("unverifiedAccountLifetime", s.UnverifiedAccountLifetime, time.Second, 90*24*time.Hour, "")
	if s.UnverifiedAccountLifetime < s.VerificationTokenLifetime {
		p.bad("unverifiedAccountLifetime", "must not be shorter than verificationTokenLifetime")
	}
	p.durationIn("sessionLifetime", s.SessionLifetime, time.Second, 365*24*time.Hour, "")
	p.durationIn("rememberMeLifetime", s.RememberMeLifetime, time.Second, 365*24*time.Hour, "")
	p.durationIn("passwordResetLifetime", s.PasswordResetLifetime, time.Second, 24*time.Hour, "")
	p.durationIn("emailChangeLifetime", s.EmailChangeLifetime, time.Second, 7*24*time.Hour, "")
}
