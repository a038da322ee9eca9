package device

import (
	"context"
	"sync"
	"time"
)

// Source reads the keys' secret document (captcha.Sources.Ref builds one
// for an "ssm:", "secretsmanager:" or "file:" reference).
type Source func(ctx context.Context) (string, error)

// retry is how long a failed first read is remembered: the sign-ins in it
// trust no device rather than each wait for the secret store again.
const retry = 30 * time.Second

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
	// failed is when a read failed while no keys were loaded yet.
	failed    time.Time
	failedErr error
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
	if !r.loaded && r.failedErr != nil && r.now().Sub(r.failed) < retry {
		return Keys{}, r.failedErr
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
	r.failed, r.failedErr = r.now(), err
	return Keys{}, err
}
