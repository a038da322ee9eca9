package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/customer"
)

// TestImportSignsCustomersInWithTheirOldPasswords: an import takes every
// format its platform made, skips what it cannot take with a stable code,
// is idempotent, and each imported customer signs in with the old password,
// whose hash that sign-in replaces with our own.
func TestImportSignsCustomersInWithTheirOldPasswords(t *testing.T) {
	f := newSystem(t)
	admin := "Authorization: Bearer " + adminToken
	b, err := os.ReadFile("../password/legacy/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Format, Value, Salt, Password string
	}
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	var entries []string
	var logins []string
	seen := map[string]bool{}
	for _, v := range vectors {
		if v.Password != "correct horse battery" || seen[v.Format] {
			continue
		}
		seen[v.Format] = true
		email := fmt.Sprintf("%s@old-shop.example", v.Format)
		hash, _ := json.Marshal(map[string]string{"format": v.Format, "value": v.Value, "salt": v.Salt})
		if v.Salt == "" {
			hash, _ = json.Marshal(map[string]string{"format": v.Format, "value": v.Value})
		}
		entries = append(entries, fmt.Sprintf(`{"email":%q,"externalId":"old-%s","emailVerified":true,"firstName":"Imported","lastName":"Customer","createdAt":"2019-05-01T10:00:00Z","consents":[{"id":"terms","version":"2019-01","givenAt":"2019-05-01T10:00:00Z"}],"passwordHash":%s}`, email, v.Format, hash))
		logins = append(logins, email)
	}
	good := len(entries)
	entries = append(entries,
		`{"email":"not an address","externalId":"bad-1","emailVerified":true,"firstName":"A","lastName":"B"}`,
		`{"email":"weak@old-shop.example","externalId":"bad-2","emailVerified":true,"firstName":"A","lastName":"B","passwordHash":{"format":"magento2","value":"5f4dcc3b5aa765d61d8327deb882cf99::0"}}`,
		`{"email":"ada@example.com","externalId":"bad-3","emailVerified":true,"firstName":"A","lastName":"B"}`,
		`{"email":"x@old-shop.example","favouriteColour":"blue"}`,
		`{"email":"nohash@old-shop.example","externalId":"plain-1","firstName":"No","lastName":"Hash"}`,
	)
	body := `{"invite":false,"customers":[` + strings.Join(entries, ",") + `]}`
	r := f.do(http.MethodPost, "/v1/admin/customer-imports", body, admin)
	var res struct {
		Imported int `json:"imported"`
		Skipped  []struct {
			Index int    `json:"index"`
			Code  string `json:"code"`
		} `json:"skipped"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &res) != nil {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	want := []string{"invalid_email", "weak_hash_format", "email_taken", "unknown_field"}
	if res.Imported != good+1 || len(res.Skipped) != len(want) {
		t.Fatalf("imported %d, skipped %+v; want %d imported and %v", res.Imported, res.Skipped, good+1, want)
	}
	for i, s := range res.Skipped {
		if s.Index != good+i || s.Code != want[i] {
			t.Errorf("skipped[%d] = %+v, want index %d with %s", i, s, good+i, want[i])
		}
	}
	for _, m := range f.store.Outbox {
		t.Errorf("an import without invite queued %s", m.Kind())
	}
	for _, login := range logins {
		for round := range 2 {
			r := f.do(http.MethodPost, "/v1/sessions", `{"login":"`+login+`","password":"correct horse battery"}`)
			if r.status != 200 {
				t.Fatalf("sign-in %d of %s: %d %s", round+1, login, r.status, r.body)
			}
			c, err := f.store.Login(t.Context(), "email", customer.NormalizeLogin(login))
			if err != nil || !strings.HasPrefix(c.PasswordHash, "$argon2id$v=19$m=256,") {
				t.Errorf("after sign-in %d of %s the stored hash is %.30s, want our own", round+1, login, c.PasswordHash)
			}
		}
		if r := f.do(http.MethodPost, "/v1/sessions", `{"login":"`+login+`","password":"wrong horse battery"}`); r.status != 401 {
			t.Errorf("a wrong password for %s: %d", login, r.status)
		}
	}
	again := f.do(http.MethodPost, "/v1/admin/customer-imports", body, admin)
	if again.status != 200 || !strings.Contains(again.body, `"imported":0`) || strings.Count(again.body, "already_imported") != good+1 {
		t.Errorf("a re-import: %d %s, want every imported entry skipped already_imported", again.status, again.body)
	}
}

// TestImportBodyLimit: an import takes up to 100 customers and 1 MiB,
// past the 16 KiB of every other route, and no more.
func TestImportBodyLimit(t *testing.T) {
	f := newSystem(t)
	admin := "Authorization: Bearer " + adminToken
	entry := func(i int) string {
		return fmt.Sprintf(`{"email":"bulk-%d@old-shop.example","externalId":"bulk-%d","firstName":"Bulk","lastName":"Customer","company":"%s"}`, i, i, strings.Repeat("x", 200))
	}
	var hundred []string
	for i := range 100 {
		hundred = append(hundred, entry(i))
	}
	body := `{"customers":[` + strings.Join(hundred, ",") + `]}`
	if len(body) <= 16<<10 {
		t.Fatalf("the body is %d bytes, want more than 16 KiB", len(body))
	}
	if r := f.do(http.MethodPost, "/v1/admin/customer-imports", body, admin); r.status != 200 || !strings.Contains(r.body, `"imported":100`) {
		t.Errorf("100 customers in %d bytes: %d %.200s", len(body), r.status, r.body)
	}
	if r := f.do(http.MethodPost, "/v1/admin/customer-imports", `{"customers":[`+strings.Join(append(hundred, entry(100)), ",")+`]}`, admin); r.status != 400 {
		t.Errorf("101 customers: %d %.200s, want 400", r.status, r.body)
	}
	huge := `{"customers":[{"email":"a@b.example","company":"` + strings.Repeat("x", 1<<20) + `"}]}`
	if r := f.do(http.MethodPost, "/v1/admin/customer-imports", huge, admin); r.status != 413 {
		t.Errorf("a body over 1 MiB: %d, want 413", r.status)
	}
	if r := f.do(http.MethodPost, "/v1/admin/customers", `{"email":"a@b.example","company":"`+strings.Repeat("x", 17<<10)+`"}`, admin); r.status != 413 {
		t.Errorf("another route's body over 16 KiB: %d, want 413", r.status)
	}
}
