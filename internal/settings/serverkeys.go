package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// ServerKey is one server-side storefront's key: a server that calls on a
// shopper's behalf sends it in X-Storefront-Key, and the shopper's address
// in X-Shopper-Address, which every per-client limit, CAPTCHA check and
// activity entry then uses.
type ServerKey struct {
	// ID names the key in logs and its counter ("ssr-shop").
	ID string `json:"id"`
	// Secret names where the key is kept: "ssm:<parameter>",
	// "secretsmanager:<name or ARN>" or, in the local stack, "file:<path>".
	Secret string `json:"secret"`
	// Ceiling caps what the key's shoppers do together on the routes with
	// per-client limits (registrations, sign-ins, resends, resets,
	// guests), so a leaked key cannot lift every limit.
	Ceiling Limit `json:"ceiling"`
}

// MaxServerKeys is how many keys may be live at once.
const MaxServerKeys = 2

// DefaultServerKeyCeiling is a key's ceiling when the settings give it by
// reference alone.
var DefaultServerKeyCeiling = Limit{Max: 10000, Window: Duration(time.Hour)}

// UnmarshalJSON takes a key as an object or as its reference alone
// ("ssm:/shop/ssr-key"), which gets an id from its place in the list and
// DefaultServerKeyCeiling.
func (k *ServerKey) UnmarshalJSON(b []byte) error {
	var ref string
	if json.Unmarshal(b, &ref) == nil {
		*k = ServerKey{Secret: ref, Ceiling: DefaultServerKeyCeiling}
		return nil
	}
	type plain ServerKey
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*k = ServerKey(p)
	return nil
}

// serverKeyID is what a server key's id may be.
var serverKeyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// nameServerKeys gives each key without an id (one given by reference
// alone) its place in the list: key1, key2.
func nameServerKeys(keys []ServerKey) {
	for i := range keys {
		if keys[i].ID == "" {
			keys[i].ID = fmt.Sprintf("key%d", i+1)
		}
	}
}

// SecretRef splits Secret into its scheme and name.
func (k ServerKey) SecretRef() (scheme, name string) { return ParseSecretRef(k.Secret) }

// validateServerKeys checks how many keys there are, and each key's id,
// reference and ceiling.
func validateServerKeys(keys []ServerKey, p *problems) {
	if len(keys) > MaxServerKeys {
		p.bad("serverKeys", "at most %d keys may be live at once (one to rotate to), got %d", MaxServerKeys, len(keys))
	}
	ids := map[string]bool{}
	for i, k := range keys {
		key := fmt.Sprintf("serverKeys[%d]", i)
		if !serverKeyID.MatchString(k.ID) || ids[k.ID] {
			p.bad(key+".id", "must be a distinct name of 1-32 letters, digits, '-' or '_', got %q", k.ID)
		}
		ids[k.ID] = true
		validSecretRef(p, key+".secret", k.Secret)
		if !k.Ceiling.On() {
			p.bad(key+".ceiling", "must cap the key's requests (max > 0): a key without a ceiling would lift every per-client limit")
		}
		k.Ceiling.validate(p, key+".ceiling")
	}
}
