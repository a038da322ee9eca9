// Package passkeytest is a software authenticator for tests: it answers
// the options of internal/passkey the way a browser and a platform
// authenticator would, signing with an ECDSA P-256 key (ES256), and has
// knobs to misbehave (another origin, another RP ID, a tampered signature,
// any signature counter, backup flags).
//
// It is a test helper, not an authenticator: it keeps its key in memory
// and attests with "none".
package passkeytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator holds one ES256 credential. Its fields are the knobs;
// set them between calls.
type Authenticator struct {
	// Origin is what clientDataJSON says the page was.
	Origin string
	// RPID, when set, is the RP ID the authenticator signs for instead of
	// the one the options name (a page that lies about it).
	RPID string
	// Key signs; CredentialID names it.
	Key          *ecdsa.PrivateKey
	CredentialID []byte
	// UserHandle is the user.id Create was given, returned by Get.
	UserHandle []byte
	// Counter is the signature counter the next response reports.
	Counter uint32
	// UserVerified sets the UV flag; BackupEligible and BackupState the BE
	// and BS flags (a synced passkey has both).
	UserVerified   bool
	BackupEligible bool
	BackupState    bool
	// TamperSignature flips a bit of the next assertion's signature.
	TamperSignature bool
	// Type, when set, replaces clientDataJSON's type
	// ("webauthn.create"/"webauthn.get").
	Type string
}

// New returns an authenticator for pages on origin, with a fresh P-256 key
// and a random 32-byte credential ID. It verifies users and, like the
// passkeys of the big platforms, is backup eligible and backed up with its
// counter left at 0.
func New(origin string) (*Authenticator, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return &Authenticator{
		Origin: origin, Key: key, CredentialID: id,
		UserVerified: true, BackupEligible: true, BackupState: true,
	}, nil
}

// b64 is the encoding of every binary field of the WebAuthn JSON forms.
var b64 = base64.RawURLEncoding

// bytesField reads a base64url member of the options.
type bytesField []byte

func (b *bytesField) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	v, err := b64.DecodeString(s)
	*b = v
	return err
}

type descriptor struct {
	ID bytesField `json:"id"`
}

// creationOptions is the part of `{"publicKey": ...}` Create reads.
type creationOptions struct {
	PublicKey struct {
		RP struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID bytesField `json:"id"`
		} `json:"user"`
		Challenge bytesField `json:"challenge"`
		Params    []struct {
			Alg int64 `json:"alg"`
		} `json:"pubKeyCredParams"`
		Exclude []descriptor `json:"excludeCredentials"`
	} `json:"publicKey"`
}

// requestOptions is the part of `{"publicKey": ...}` Get reads.
type requestOptions struct {
	PublicKey struct {
		RPID      string       `json:"rpId"`
		Challenge bytesField   `json:"challenge"`
		Allow     []descriptor `json:"allowCredentials"`
	} `json:"publicKey"`
}

const (
	flagUP   = 1 << 0
	flagUV   = 1 << 2
	flagBE   = 1 << 3
	flagBS   = 1 << 4
	flagAT   = 1 << 6
	algES256 = -7
)

// ErrExcluded is what Create returns when the options exclude the
// authenticator's credential (a browser's InvalidStateError).
var ErrExcluded = errors.New("passkeytest: the options exclude this authenticator's credential")

// ErrNotAllowed is what Get returns when the options allow other
// credentials only (a browser's NotAllowedError).
var ErrNotAllowed = errors.New("passkeytest: the options do not allow this authenticator's credential")

// Create answers creation options with a registration response (the JSON
// of PublicKeyCredential.toJSON(), "none" attestation) and remembers the
// user handle.
func (a *Authenticator) Create(optionsJSON []byte) ([]byte, error) {
	var o creationOptions
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, fmt.Errorf("passkeytest: read creation options: %w", err)
	}
	pk := o.PublicKey
	if !es256Offered(pk.Params) {
		return nil, errors.New("passkeytest: the options do not offer ES256")
	}
	for _, d := range pk.Exclude {
		if bytes.Equal(d.ID, a.CredentialID) {
			return nil, ErrExcluded
		}
	}
	a.UserHandle = pk.User.ID
	clientData, err := a.clientData("webauthn.create", pk.Challenge)
	if err != nil {
		return nil, err
	}
	point, err := a.Key.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		return nil, err
	}
	coseKey, err := webauthncbor.Marshal(map[int]any{
		1: 2, 3: algES256, -1: 1, // kty EC2, alg ES256, crv P-256
		-2: point[1:33], -3: point[33:],
	})
	if err != nil {
		return nil, err
	}
	authData := a.authData(pk.RP.ID, flagAT)
	authData = append(authData, make([]byte, 16)...) // AAGUID: none
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(a.CredentialID)))
	authData = append(authData, a.CredentialID...)
	authData = append(authData, coseKey...)
	attObj, err := webauthncbor.Marshal(map[string]any{
		"fmt": "none", "attStmt": map[string]any{}, "authData": authData,
	})
	if err != nil {
		return nil, err
	}
	return a.credential(clientData, map[string]any{
		"attestationObject": b64.EncodeToString(attObj),
		"transports":        []string{"hybrid", "internal"},
	})
}

// Get answers request options with an assertion carrying the user handle
// (a discoverable credential's sign-in).
func (a *Authenticator) Get(optionsJSON []byte) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, fmt.Errorf("passkeytest: read request options: %w", err)
	}
	pk := o.PublicKey
	if len(pk.Allow) > 0 {
		allowed := false
		for _, d := range pk.Allow {
			allowed = allowed || bytes.Equal(d.ID, a.CredentialID)
		}
		if !allowed {
			return nil, ErrNotAllowed
		}
	}
	clientData, err := a.clientData("webauthn.get", pk.Challenge)
	if err != nil {
		return nil, err
	}
	authData := a.authData(pk.RPID, 0)
	sum := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, authData...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		return nil, err
	}
	if a.TamperSignature {
		sig[len(sig)-1] ^= 0x01
	}
	return a.credential(clientData, map[string]any{
		"authenticatorData": b64.EncodeToString(authData),
		"signature":         b64.EncodeToString(sig),
		"userHandle":        b64.EncodeToString(a.UserHandle),
	})
}

// credential is the JSON of a PublicKeyCredential (its toJSON()) naming
// the authenticator's credential, with clientData and the members of
// response that Create or Get put beside it.
func (a *Authenticator) credential(clientData []byte, response map[string]any) ([]byte, error) {
	response["clientDataJSON"] = b64.EncodeToString(clientData)
	return json.Marshal(map[string]any{
		"id":                      b64.EncodeToString(a.CredentialID),
		"rawId":                   b64.EncodeToString(a.CredentialID),
		"type":                    "public-key",
		"response":                response,
		"authenticatorAttachment": "platform",
		"clientExtensionResults":  map[string]any{},
	})
}

// clientData is the clientDataJSON a browser on a.Origin would write.
func (a *Authenticator) clientData(typ string, challenge []byte) ([]byte, error) {
	if len(challenge) == 0 {
		return nil, errors.New("passkeytest: the options carry no challenge")
	}
	if a.Type != "" {
		typ = a.Type
	}
	return json.Marshal(map[string]any{
		"type":        typ,
		"challenge":   b64.EncodeToString(challenge),
		"origin":      a.Origin,
		"crossOrigin": false,
	})
}

// authData is the authenticator data up to the counter: the RP ID hash,
// the flags and the counter.
func (a *Authenticator) authData(optionsRPID string, flags byte) []byte {
	rpID := optionsRPID
	if a.RPID != "" {
		rpID = a.RPID
	}
	h := sha256.Sum256([]byte(rpID))
	flags |= flagUP
	if a.UserVerified {
		flags |= flagUV
	}
	if a.BackupEligible {
		flags |= flagBE
	}
	if a.BackupState {
		flags |= flagBS
	}
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, a.Counter)
}

func es256Offered(params []struct {
	Alg int64 `json:"alg"`
}) bool {
	for _, p := range params {
		if p.Alg == algES256 {
			return true
		}
	}
	return false
}
