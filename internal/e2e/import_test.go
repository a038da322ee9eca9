package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestImportOnTheStack: on the local stack (DynamoDB Local, the admin
// function under its role), an import with invite mails each unverified
// customer its link (an invitation when no password came) and nothing to
// the verified ones; a verified customer imported without a password signs
// in after a reset, keeping what the operator imported.
func TestImportOnTheStack(t *testing.T) {
	s := newStack(t, nil)
	body := `{"invite":true,"customers":[
	 {"email":"invited@old-shop.example","externalId":"i-1","firstName":"Invited","lastName":"Customer"},
	 {"email":"verified@old-shop.example","externalId":"i-2","emailVerified":true,"firstName":"Verified","lastName":"Customer","company":"Old Shop Ltd"},
	 {"email":"hashed@old-shop.example","externalId":"i-3","firstName":"Hashed","lastName":"Customer",
	  "passwordHash":{"format":"bcrypt","value":"$2a$04$wpG7D99xV/DdGy9uA16QFeKHaIpy/ft8tudyxy8sQTXATvnIOq2Y6"}}]}`
	r := s.do(http.MethodPost, "/v1/admin/customer-imports", "application/json", []byte(body), "Authorization: Bearer "+adminToken)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"imported":3`) {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	s.deliverMail()
	if subjects := s.subjectsTo("invited@old-shop.example"); len(subjects) != 1 || !strings.Contains(subjects[0], "choose a password") {
		t.Errorf("the invited customer without a password got %q, want the invitation", subjects)
	}
	if subjects := s.subjectsTo("hashed@old-shop.example"); len(subjects) != 1 || !strings.Contains(subjects[0], "confirm") {
		t.Errorf("the invited customer with a password got %q, want the verification link", subjects)
	}
	if subjects := s.subjectsTo("verified@old-shop.example"); len(subjects) != 0 {
		t.Errorf("the verified customer got %q, want nothing", subjects)
	}
	// The verified customer without a password: a reset, then a sign-in.
	if r := s.postJSON("/v1/password-resets", map[string]any{"email": "verified@old-shop.example"}); r.status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", r.status, r.body)
	}
	tok := s.linkToken("verified@old-shop.example", "/v1/password-reset")
	if tok == "" {
		t.Fatalf("no reset link; mails: %v", s.subjectsTo("verified@old-shop.example"))
	}
	if r := s.postJSON("/v1/password-reset", map[string]any{"token": tok, "password": "a brand new passphrase"}); r.status >= 300 {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if r := s.signIn("verified@old-shop.example", "a brand new passphrase"); r.status != http.StatusOK {
		t.Fatalf("sign-in after the reset: %d %s", r.status, r.body)
	}
	c, ok := s.customerByEmail("verified@old-shop.example")
	if !ok || c.Profile.Company != "Old Shop Ltd" || c.CreatedAt.IsZero() {
		t.Errorf("after the reset the account is %+v, want what the operator imported kept", c)
	}
}
