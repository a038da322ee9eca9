package settings

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
