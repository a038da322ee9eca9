package device

import (
	"context"
	"sync"
	"time"
)

// Source reads the keys' secret document (captcha.Sources.Ref builds one
// for an "ssm:", "secretsmanager:" or "file:" reference).
type Source func(ctx context.Context) (string, error)

// refresh is how long keys read are used before they are read again: a
// rotation (a new current key beside the old) reaches every function
// instance within it, and the secret is read at most once per instance
// in it.
const refresh = 5 * time.Minute

// Keyring reads the keys on first use and again every refresh.
type Keyring struct {
	source Source
	now    func() time.Time
	mu     sync.Mutex
	keys   Keys
	read   time.Time
	loaded bool
}

// NewKeyring returns a Keyring over source.
func NewKeyring(source Source, now func() time.Time) *Keyring {
	return &Keyring{source: source, now: now}
}

// Keys returns the current keys. A failed read keeps the keys read before,
// if any, and reports the error (the caller trusts no device then).
func (r *Keyring) Keys(ctx context.Context) (Keys, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loaded && r.now().Sub(r.read) < refresh {
		return r.keys, nil
	}
	doc, err := r.source(ctx)
	if err == nil {
		var k Keys
		if k, err = ParseKeys(doc); err == nil {
			r.keys, r.read, r.loaded = k, r.now(), true
			return k, nil
		}
	}
	if r.loaded {
		r.read = r.now() // keep the keys a while; ask again after refresh
		return r.keys, nil
	}
	return Keys{}, err
}
