package settings

// validatePasswords checks the password rules and the hashing parameters
// (internal/password states both).
func (s Settings) validatePasswords(p *problems) {
	if err := s.PasswordPolicy.Validate(); err != nil {
		p.bad("passwordPolicy", "%v", err)
	}
	if err := s.PasswordHashing.Validate(); err != nil {
		p.bad("passwordHashing", "%v", err)
	}
}
