package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Token is the local stack's admin token (`make dev` prints it).
type Token string

// Authorize sets the bearer token.
func (t Token) Authorize(_ context.Context, r *http.Request, _ []byte) error {
	r.Header.Set("Authorization", "Bearer "+string(t))
	return nil
}

// SigV4 signs as the deployed API's IAM authorisation wants: with the
// operator's credentials, for execute-api in the API's region.
type SigV4 struct {
	Credentials aws.CredentialsProvider
	Region      string
	Now         func() time.Time
}

// Authorize signs r.
func (s SigV4) Authorize(ctx context.Context, r *http.Request, body []byte) error {
	creds, err := s.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(ctx, creds, r, hex.EncodeToString(sum[:]), "execute-api", s.Region, now())
}
