package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/guest"
	"github.com/openreg/registration/internal/shopping"
)

// The guest cookies (the contract's cr_guest; __Host- where cookies are
// Secure, like the session's) and the header apps use instead.
const (
	GuestCookie       = "cr_guest"
	SecureGuestCookie = "__Host-cr_guest"
	GuestHeader       = "x-guest-id"
)

// Shopping runs guests and carts (shopping.Service).
type Shopping interface {
	CreateGuest(ctx context.Context, r shopping.Request, affiliateID string) (*guest.Guest, error)
	Cart(ctx context.Context, r shopping.Request) ([]cart.Line, *guest.Guest, error)
	SetLine(ctx context.Context, r shopping.Request, sku string, quantity int) ([]cart.Line, *guest.Guest, error)
	RemoveLine(ctx context.Context, r shopping.Request, sku string) ([]cart.Line, error)
}

// GuestID is the guest the request carries: the X-Guest-Id header (apps)
// or the guest cookie.
func (r *Request) GuestID() string {
	if id := r.Headers[GuestHeader]; id != "" {
		return id
	}
	if id := r.Cookies[SecureGuestCookie]; id != "" {
		return id
	}
	return r.Cookies[GuestCookie]
}

// shopper is the cart request of r.
func (r *Request) shopper() shopping.Request {
	return shopping.Request{SessionToken: r.SessionToken(), GuestID: r.GuestID(), UserAgent: r.Headers["user-agent"], SourceIP: r.SourceIP}
}

func (a *API) guestCookie(g guest.Guest) string {
	name := GuestCookie
	if a.cookies.Secure {
		name = SecureGuestCookie
	}
	c := &http.Cookie{Name: name, Value: g.ID, Path: "/", HttpOnly: true, Secure: a.cookies.Secure, SameSite: http.SameSiteLaxMode,
		Expires: g.ExpiresAt.UTC(), MaxAge: max(int(g.ExpiresAt.Sub(a.now()).Seconds()), 1)}
	return c.String()
}

// clearGuestCookie ends the guest cookie of a guest that became a customer.
func (a *API) clearGuestCookie() string {
	name := GuestCookie
	if a.cookies.Secure {
		name = SecureGuestCookie
	}
	return (&http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: a.cookies.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1}).String()
}

// withGuest sets a guest on a response (a new one, or one whose life was
// extended): its cookie, and its id in a header for apps.
func (a *API) withGuest(resp *Response, g *guest.Guest) *Response {
	if g != nil {
		resp.Cookies = append(resp.Cookies, a.guestCookie(*g))
		resp.Headers["X-Guest-Id"] = g.ID
	}
	return resp
}

type guestBody struct {
	// AffiliateID may be null (the document says so): a pointer.
	AffiliateID *string `json:"affiliateId"`
}

type guestCreated struct {
	GuestID   *string `json:"guestId"`
	ExpiresAt string  `json:"expiresAt,omitempty"`
}

// createGuest answers POST /v1/guests: 201 with the new guest, or 200
// with none for a crawler.
func (a *API) createGuest(ctx context.Context, r *Request) (*Response, error) {
	var b guestBody
	if len(r.Body) > 0 {
		if err := r.decodeJSON(&b); err != nil {
			return nil, err
		}
	}
	affiliate := ""
	if b.AffiliateID != nil {
		affiliate = *b.AffiliateID
	}
	g, err := a.shop.CreateGuest(ctx, r.shopper(), affiliate)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return jsonResponse(http.StatusOK, guestCreated{}), nil
	}
	return a.withGuest(jsonResponse(http.StatusCreated, guestCreated{GuestID: &g.ID, ExpiresAt: g.ExpiresAt.UTC().Format(time.RFC3339)}), g), nil
}

type cartBody struct {
	Items []cart.Line `json:"items"`
}

func cartResponse(lines []cart.Line) *Response {
	if lines == nil {
		lines = []cart.Line{}
	}
	resp := jsonResponse(http.StatusOK, cartBody{Items: lines})
	resp.Headers["Cache-Control"] = "no-store"
	return resp
}

// getCart answers GET /v1/cart: the shopper's lines (none without one; a
// read never makes a guest).
func (a *API) getCart(ctx context.Context, r *Request) (*Response, error) {
	lines, g, err := a.shop.Cart(ctx, r.shopper())
	if err != nil {
		return nil, err
	}
	return a.withGuest(cartResponse(lines), g), nil
}

type quantityBody struct {
	Quantity int `json:"quantity"`
}

// putCartItem answers PUT /v1/cart/items/{sku}.
func (a *API) putCartItem(ctx context.Context, r *Request, b quantityBody) (*Response, error) {
	lines, g, err := a.shop.SetLine(ctx, r.shopper(), r.PathParams["sku"], b.Quantity)
	if err != nil {
		return nil, err
	}
	return a.withGuest(cartResponse(lines), g), nil
}

// deleteCartItem answers DELETE /v1/cart/items/{sku}.
func (a *API) deleteCartItem(ctx context.Context, r *Request) (*Response, error) {
	lines, err := a.shop.RemoveLine(ctx, r.shopper(), r.PathParams["sku"])
	if err != nil {
		return nil, err
	}
	return cartResponse(lines), nil
}
