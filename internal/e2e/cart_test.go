package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/openreg/registration/internal/settings"
)

const browser = "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
const googlebot = "User-Agent: Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

// lines reads a cart answer as sku → quantity.
func lines(t *testing.T, r response) map[string]int {
	t.Helper()
	var b struct {
		Items []struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		} `json:"items"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || r.status != http.StatusOK {
		t.Fatalf("cart answer %d %s (%v)", r.status, r.body, err)
	}
	out := map[string]int{}
	for _, l := range b.Items {
		out[l.SKU] = l.Quantity
	}
	return out
}

func (s *stack) putLine(sku string, q int, headers ...string) response {
	s.t.Helper()
	return s.do(http.MethodPut, "/v1/cart/items/"+sku, "application/json", []byte(fmt.Sprintf(`{"quantity":%d}`, q)), append(headers, browser)...)
}

func (s *stack) cart(headers ...string) response {
	s.t.Helper()
	return s.do(http.MethodGet, "/v1/cart", "", nil, headers...)
}

func guestHeader(id string) string { return "X-Guest-Id: " + id }

// newGuest makes a guest with lines and returns its id.
func (s *stack) newGuest(t *testing.T, ls map[string]int) string {
	t.Helper()
	r := s.do(http.MethodPost, "/v1/guests", "application/json", []byte(`{"affiliateId":"partner-1"}`), browser)
	id, _ := r.json(t)["guestId"].(string)
	if r.status != http.StatusCreated || id == "" {
		t.Fatalf("guest: %d %s", r.status, r.body)
	}
	for sku, q := range ls {
		if r := s.putLine(sku, q, guestHeader(id)); r.status != http.StatusOK {
			t.Fatalf("line %s: %d %s", sku, r.status, r.body)
		}
	}
	return id
}

func TestGuests(t *testing.T) {
	s := newStack(t, nil)
	r := s.do(http.MethodPost, "/v1/guests", "application/json", []byte(`{"affiliateId":"partner-1"}`), browser)
	if r.status != http.StatusCreated || r.cookie("__Host-cr_guest") == nil || r.header.Get("X-Guest-Id") == "" {
		t.Fatalf("guest: %d %s %v", r.status, r.body, r.cookies)
	}
	if c := r.cookie("__Host-cr_guest"); !c.HttpOnly || !c.Secure || c.Value != r.json(t)["guestId"] {
		t.Errorf("guest cookie = %+v", c)
	}
	before := s.items()
	crawler := s.do(http.MethodPost, "/v1/guests", "application/json", nil, googlebot)
	if crawler.status != http.StatusOK || string(crawler.body) != `{"guestId":null}` || s.items() != before {
		t.Errorf("a crawler: %d %s, %d items written", crawler.status, crawler.body, s.items()-before)
	}
	if r := s.putLine("SKU-1", 1, googlebot); r.status != http.StatusOK || len(lines(t, r)) != 0 || s.items() != before {
		t.Errorf("a crawler's cart line: %d %s", r.status, r.body)
	}
	if r := s.do(http.MethodPost, "/v1/guests", "application/json", []byte(`{"affiliateId":"<x>"}`), browser); r.status != http.StatusBadRequest {
		t.Errorf("a bad affiliate: %d %s", r.status, r.body)
	}

	t.Run("a guest seen again after a day lives on, and its cookie with it", func(t *testing.T) {
		id, _ := r.json(t)["guestId"].(string)
		first := r.cookie("__Host-cr_guest").Expires
		if c := s.cart(guestHeader(id)).cookie("__Host-cr_guest"); c != nil {
			t.Errorf("a read within the day set the cookie again: %+v", c)
		}
		s.clock.Advance(25 * time.Hour)
		c := s.cart(guestHeader(id)).cookie("__Host-cr_guest")
		if c == nil || !c.Expires.After(first) {
			t.Errorf("after a day: cookie %+v, want one expiring after %v", c, first)
		}
	})
}

func TestCart(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.Cart.MaxLines = 2 })
	if got := lines(t, s.cart()); len(got) != 0 {
		t.Errorf("a cart without a shopper = %v", got)
	}
	before := s.items()
	s.cart()
	if s.items() != before {
		t.Error("reading a cart made a guest")
	}
	r := s.putLine("SKU-1", 2)
	id := r.header.Get("X-Guest-Id")
	if id == "" || r.cookie("__Host-cr_guest") == nil || lines(t, r)["SKU-1"] != 2 {
		t.Fatalf("the first line: %d %s, guest %q", r.status, r.body, id)
	}
	g := guestHeader(id)
	if got := lines(t, s.putLine("SKU-1", 5, g)); got["SKU-1"] != 5 || len(got) != 1 {
		t.Errorf("changing a line: %v", got)
	}
	lines(t, s.putLine("SKU-2", 1, g))
	for _, tt := range []struct {
		name, sku, field, code string
		q                      int
	}{
		{"a zero quantity", "SKU-1", "quantity", "out_of_range", 0},
		{"a quantity over the maximum", "SKU-1", "quantity", "out_of_range", 100},
		{"a bad SKU", "bad%20sku", "sku", "invalid_sku", 1},
		{"a line past the limit", "SKU-3", "sku", "too_many_lines", 1},
	} {
		r := s.putLine(tt.sku, tt.q, g)
		var p struct {
			Code   string `json:"code"`
			Errors []struct{ Field, Code string }
		}
		_ = json.Unmarshal(r.body, &p)
		if r.status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != tt.field || p.Errors[0].Code != tt.code {
			t.Errorf("%s: %d %s", tt.name, r.status, r.body)
		}
	}
	r = s.do(http.MethodDelete, "/v1/cart/items/SKU-2", "", nil, g)
	if got := lines(t, r); len(got) != 1 || got["SKU-1"] != 5 {
		t.Errorf("after removing a line: %v", got)
	}
	for _, bad := range []string{"not-a-guest", "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"} {
		if got := lines(t, s.cart(guestHeader(bad))); len(got) != 0 {
			t.Errorf("guest %q sees %v", bad, got)
		}
		r := s.putLine("SKU-9", 1, guestHeader(bad))
		if nid := r.header.Get("X-Guest-Id"); nid == "" || nid == bad || nid == id {
			t.Errorf("a line with guest %q went to %q", bad, nid)
		}
	}
}

func TestSignInMergesTheGuestCart(t *testing.T) {
	tests := []struct {
		strategy string
		want     map[string]int
	}{
		{"sum", map[string]int{"A": 99, "B": 1, "C": 4}},
		{"max", map[string]int{"A": 90, "B": 1, "C": 4}},
		{"replace", map[string]int{"A": 10, "B": 1}},
		{"keep-customer", map[string]int{"A": 90, "B": 1, "C": 4}},
	}
	for _, tt := range tests {
		t.Run("strategy "+tt.strategy, func(t *testing.T) {
			s := newStack(t, func(st *settings.Settings) { st.Cart.MergeStrategy = tt.strategy })
			email := "merge-" + tt.strategy + "@example.com"
			s.activeCustomer(email, "a password")
			mine := s.session(email, "a password")
			lines(t, s.putLine("A", 90, as(mine)))
			lines(t, s.putLine("C", 4, as(mine)))
			guest := s.newGuest(t, map[string]int{"A": 10, "B": 1})
			r := s.signIn(email, "a password", guestHeader(guest))
			tok, _ := r.json(t)["sessionToken"].(string)
			if r.status != http.StatusOK {
				t.Fatalf("sign-in: %d %s", r.status, r.body)
			}
			if got := lines(t, s.cart(as(tok))); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("cart after sign-in = %v, want %v", got, tt.want)
			}
			if got := lines(t, s.cart(guestHeader(guest))); len(got) != 0 {
				t.Errorf("the retired guest still has %v", got)
			}
			again := s.signIn(email, "a password", guestHeader(guest))
			again.json(t)
			if got := lines(t, s.cart(as(tok))); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("a retried sign-in merged again: %v", got)
			}
		})
	}
}

func TestRacingSignInsMergeOnce(t *testing.T) {
	s := newStack(t, nil)
	email := "racing-merge@example.com"
	s.activeCustomer(email, "a password")
	guest := s.newGuest(t, map[string]int{"A": 2})
	s.published()
	statuses := atOnce(3, func(int) response { return s.signIn(email, "a password", guestHeader(guest)) })
	for _, st := range statuses {
		if st != http.StatusOK {
			t.Errorf("statuses %v", statuses)
		}
	}
	if got := lines(t, s.cart(as(s.session(email, "a password")))); got["A"] != 2 {
		t.Errorf("cart after three racing sign-ins = %v, want A:2 once", got)
	}
	merged := 0
	for _, e := range s.published() {
		var d map[string]any
		_ = json.Unmarshal(e.Detail, &d)
		if e.DetailType == "customer.signed_in" && d["guestId"] == guest {
			merged++
			if m, _ := d["merged"].(map[string]any); m["strategy"] != "sum" || m["guestLines"] != float64(1) {
				t.Errorf("merged = %v", d["merged"])
			}
		}
	}
	if merged != 1 {
		t.Errorf("%d signed_in events name the guest, want 1", merged)
	}
}

func TestCheckoutRegistrationKeepsTheCart(t *testing.T) {
	t.Run("double opt-in: the cart is the customer's after confirmation", func(t *testing.T) {
		s := newStack(t, nil)
		email := "checkout@example.com"
		guest := s.newGuest(t, map[string]int{"A": 2, "B": 1})
		if r := s.register(person(email), guestHeader(guest)); r.status != http.StatusAccepted {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		tok := s.verificationToken(email)
		// The confirming browser shopped on as a new guest meanwhile.
		later := s.newGuest(t, map[string]int{"C": 1})
		r := s.postJSON("/v1/verify-email", map[string]any{"token": tok, "password": "correct horse"}, guestHeader(later))
		session, _ := r.json(t)["sessionToken"].(string)
		if r.status != http.StatusOK || session == "" {
			t.Fatalf("confirm: %d %s", r.status, r.body)
		}
		if got := lines(t, s.cart(as(session))); fmt.Sprint(got) != fmt.Sprint(map[string]int{"A": 2, "B": 1, "C": 1}) {
			t.Errorf("cart after confirmation = %v", got)
		}
		for _, g := range []string{guest, later} {
			if got := lines(t, s.cart(guestHeader(g))); len(got) != 0 {
				t.Errorf("guest %s still has %v", g, got)
			}
		}
	})
	t.Run("Standard: the cart moves in the registration's own write", func(t *testing.T) {
		s := newStack(t, func(st *settings.Settings) { st.RegistrationType = settings.Standard })
		guest := s.newGuest(t, map[string]int{"A": 3})
		r := s.register(person("standard-checkout@example.com"), guestHeader(guest))
		session, _ := r.json(t)["sessionToken"].(string)
		if r.status != http.StatusCreated {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		if got := lines(t, s.cart(as(session))); got["A"] != 3 {
			t.Errorf("cart after registering = %v", got)
		}
	})
	t.Run("an attempt on a verified address leaves the guest its cart", func(t *testing.T) {
		s := newStack(t, nil)
		s.activeCustomer("owner@example.com", "owner password")
		guest := s.newGuest(t, map[string]int{"A": 1})
		s.register(person("owner@example.com"), guestHeader(guest))
		s.deliverMail()
		if got := lines(t, s.cart(guestHeader(guest))); got["A"] != 1 {
			t.Errorf("the guest's cart = %v, want it kept", got)
		}
	})
}
