package settings

import "time"

// validateLifetimes checks how long links, unverified accounts and
// sessions last.
func (s Settings) validateLifetimes(p *problems) {
	positive := func(key string, d Duration, max time.Duration) {
		if d <= 0 || time.Duration(d) > max {
			p.bad(key, "must be between 1s and %s, got %s", max, time.Duration(d))
		}
	}
	positive("verificationTokenLifetime", s.VerificationTokenLifetime, 30*24*time.Hour)
	positive("unverifiedAccountLifetime", s.UnverifiedAccountLifetime, 90*24*time.Hour)
	if s.UnverifiedAccountLifetime < s.VerificationTokenLifetime {
		p.bad("unverifiedAccountLifetime", "must not be shorter than verificationTokenLifetime")
	}
	positive("sessionLifetime", s.SessionLifetime, 365*24*time.Hour)
	positive("rememberMeLifetime", s.RememberMeLifetime, 365*24*time.Hour)
	positive("passwordResetLifetime", s.PasswordResetLifetime, 24*time.Hour)
	positive("emailChangeLifetime", s.EmailChangeLifetime, 7*24*time.Hour)
}
