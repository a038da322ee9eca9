package httpapi

import (
	"context"
	"errors"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/storefront"
	"github.com/openreg/registration/internal/throttle"
)

// Server-side storefronts (package storefront): a request with
// X-Storefront-Key is a shop's server calling on behalf of the shopper
// X-Shopper-Address names. With a valid key the shopper's address becomes
// the request's client (r.SourceIP), which every per-client limit, CAPTCHA
// check and activity entry reads; on the routes with per-client limits the
// key's own ceiling is counted too. A wrong key is 401
// invalid_storefront_key and a malformed address 400
// invalid_shopper_address, both before anything is read or stored; a key
// that cannot be read is 503. X-Shopper-Address without a key is ignored.

// StorefrontKeyHeader and ShopperAddressHeader are the headers, lower-case.
const (
	StorefrontKeyHeader  = "x-storefront-key"
	ShopperAddressHeader = "x-shopper-address"
)

// ceilingRoutes are the routes with per-client limits, where a key's
// ceiling counts (putting a line in a cart makes a guest when it has none).
var ceilingRoutes = map[string]bool{
	"POST /v1/customers": true, "POST /v1/sessions": true, "POST /v1/verify-email/resend": true,
	"POST /v1/password-resets": true, "POST /v1/guests": true, "PUT /v1/cart/items/{sku}": true,
}

// serverStorefront applies a server storefront's key and shopper address.
func (a *API) serverStorefront(ctx context.Context, r *Request) error {
	presented, ok := r.Headers[StorefrontKeyHeader]
	if !ok {
		return nil
	}
	wrong := apperr.New(apperr.InvalidStorefrontKey, "X-Storefront-Key is not a key of this store.")
	if a.storefronts == nil {
		return wrong
	}
	key, ok, err := a.storefronts.Identify(ctx, presented)
	if err != nil {
		a.log.ErrorContext(ctx, "server storefront keys unreadable", "requestId", r.RequestID, "error", err.Error())
		return apperr.Wrap(apperr.Unavailable, "The service is unavailable; try again.", err)
	}
	if !ok {
		return wrong
	}
	addr, err := storefront.ShopperAddress(r.Headers[ShopperAddressHeader])
	if err != nil {
		return apperr.Wrap(apperr.InvalidShopperAddress, "X-Shopper-Address must be the shopper's IPv4 or IPv6 address.", err)
	}
	r.SourceIP, r.Storefront = addr, key.ID
	if !ceilingRoutes[r.Method+" "+r.routePath] {
		return nil
	}
	c, on := throttle.NewCounter(throttle.StorefrontCeiling, key.Ceiling, a.now(), key.ID)
	if !on {
		return nil
	}
	err = throttle.Refusal(a.counters.Count(ctx, c))
	if ae := (*apperr.Error)(nil); errors.As(err, &ae) && ae.Code == apperr.TooManyRequests {
		a.log.WarnContext(ctx, "server storefront key past its ceiling", "key", key.ID, "requestId", r.RequestID)
	}
	return err
}
