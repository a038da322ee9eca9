package settings

import (
	"fmt"
	"strings"
)

// Consent log ids the service itself uses; a store's consents may not.
const (
	ReservedPrivacyConsent    = "privacy_policy"
	ReservedNewsletterConsent = "newsletter"
)

// Consent is a GDPR consent shown during registration.
type Consent struct {
	ID       string `json:"id"`
	Message  string `json:"message"`
	Required bool   `json:"required"`
}

// NewsletterType is a newsletter a customer can subscribe to when registering.
type NewsletterType struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	TickedByDefault bool   `json:"tickedByDefault"`
}

// AttributeType is the kind of value a custom customer attribute holds.
type AttributeType string

// Attribute types.
const (
	AttributeText     AttributeType = "text"
	AttributeDropdown AttributeType = "dropdown"
	AttributeCheckbox AttributeType = "checkbox"
)

// Attribute is a store-defined customer attribute.
type Attribute struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Type     AttributeType `json:"type"`
	Required bool          `json:"required"`
	// Values lists the allowed values of a dropdown.
	Values []string `json:"values,omitempty"`
}

// validateConsents checks the consents, newsletters and attributes: each
// id unique in its list.
func (s Settings) validateConsents(p *problems) {
	seen := map[string]bool{}
	unique := func(key, kind, id string) {
		if !idPattern.MatchString(id) || seen[kind+id] {
			p.bad(key+".id", "must be a unique id of letters, digits, '_', '.' or '-', got %q", id)
		}
		seen[kind+id] = true
	}
	for i, c := range s.Consents {
		key := fmt.Sprintf("consents[%d]", i)
		unique(key, "c", c.ID)
		if c.ID == ReservedPrivacyConsent || c.ID == ReservedNewsletterConsent {
			p.bad(key+".id", "%q is reserved for the consent log's own entries", c.ID)
		}
		if strings.TrimSpace(c.Message) == "" {
			p.bad(key+".message", "must not be empty")
		}
	}
	for i, n := range s.Newsletters {
		key := fmt.Sprintf("newsletters[%d]", i)
		unique(key, "n", n.ID)
		if strings.TrimSpace(n.Name) == "" {
			p.bad(key+".name", "must not be empty")
		}
	}
	for i, a := range s.Attributes {
		key := fmt.Sprintf("attributes[%d]", i)
		unique(key, "a", a.ID)
		switch a.Type {
		case AttributeText, AttributeCheckbox:
			if len(a.Values) > 0 {
				p.bad(key+".values", "only dropdown attributes have values")
			}
		case AttributeDropdown:
			if len(a.Values) == 0 {
				p.bad(key+".values", "a dropdown needs at least one value")
			}
		default:
			p.bad(key+".type", "must be text, dropdown or checkbox, got %q", a.Type)
		}
	}
}
