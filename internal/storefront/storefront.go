package storefront

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/openreg/registration/internal/settings"
)

// Secret reads a key from where it is kept.
type Secret func(context.Context) (string, error)

// Keys are the live server keys.
type Keys struct {
	keys []settings.ServerKey
	read func(ref string) Secret
	now  func() time.Time

	mu      sync.Mutex
	digests [][sha256.Size]byte // once every key was read
	readAt  time.Time
}

// Refresh is how long keys are trusted before they are read again: a
// revoked or rotated key stops working within it, without a deploy.
const Refresh = 5 * time.Minute

// New returns the keys settings name, read through read on first use and
// again every Refresh (nil when there are none).
func New(keys []settings.ServerKey, read func(ref string) Secret, now func() time.Time) *Keys {
	if len(keys) == 0 {
		return nil
	}
	return &Keys{keys: keys, read: read, now: now}
}

// Identify returns the key presented, or false when it is none of them. An
// error means a key could not be read (the request cannot be judged).
func (k *Keys) Identify(ctx context.Context, presented string) (settings.ServerKey, bool, error) {
	digests, err := k.load(ctx)
	if err != nil {
		return settings.ServerKey{}, false, err
	}
	got := sha256.Sum256([]byte(presented))
	match := -1
	for i, d := range digests {
		// Every key is compared, whatever matched before.
		if subtle.ConstantTimeCompare(got[:], d[:]) == 1 {
			match = i
		}
	}
	if match < 0 || presented == "" {
		return settings.ServerKey{}, false, nil
	}
	return k.keys[match], true, nil
}

// load reads every key on first use and again after Refresh; a failed
// first read is tried again next time, a failed later one keeps the keys
// read before (a secret store's hiccup does not lock the shop out).
func (k *Keys) load(ctx context.Context) ([][sha256.Size]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.digests != nil && k.now().Sub(k.readAt) < Refresh {
		return k.digests, nil
	}
	fresh, err := k.readAll(ctx)
	if err != nil {
		if k.digests != nil {
			return k.digests, nil
		}
		return nil, err
	}
	k.digests, k.readAt = fresh, k.now()
	return fresh, nil
}

func (k *Keys) readAll(ctx context.Context) ([][sha256.Size]byte, error) {
	digests := make([][sha256.Size]byte, len(k.keys))
	for i, key := range k.keys {
		v, err := k.read(key.Secret)(ctx)
		if err != nil {
			return nil, fmt.Errorf("server key %s (%s): %w", key.ID, key.Secret, err)
		}
		v = strings.TrimSpace(v)
		if len(v) < 16 {
			return nil, fmt.Errorf("server key %s (%s) holds %d characters; a key needs at least 16", key.ID, key.Secret, len(v))
		}
		digests[i] = sha256.Sum256([]byte(v))
	}
	return digests, nil
}

// ErrShopperAddress is an X-Shopper-Address that is no IP address.
var ErrShopperAddress = errors.New("X-Shopper-Address must be the shopper's IPv4 or IPv6 address")

// ShopperAddress parses X-Shopper-Address: one IP address, IPv4-mapped
// addresses unmapped, no zone.
func ShopperAddress(v string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil || a.Zone() != "" || !a.IsValid() || a.IsUnspecified() {
		return "", ErrShopperAddress
	}
	return a.Unmap().String(), nil
}
