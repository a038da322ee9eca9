// Package sesmail sends email through Amazon SES (API v2).
package sesmail

import (
	"context"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/openreg/registration/internal/mail"
)

// API is the part of the SES v2 client the sender uses.
type API interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Sender sends through SES, optionally through a configuration set so that
// bounces and complaints can be routed.
type Sender struct {
	ses              API
	configurationSet string
}

var _ mail.Sender = (*Sender)(nil)

// New returns a Sender; configurationSet may be empty.
func New(api API, configurationSet string) *Sender {
	return &Sender{ses: api, configurationSet: configurationSet}
}

var tagValue = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// Send sends e as a multipart (HTML and text) UTF-8 message.
func (s *Sender) Send(ctx context.Context, e mail.Email) error {
	utf8 := aws.String("UTF-8")
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(e.From),
		Destination:      &types.Destination{ToAddresses: []string{e.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(e.Subject), Charset: utf8},
			Body: &types.Body{
				Html: &types.Content{Data: aws.String(e.HTML), Charset: utf8},
				Text: &types.Content{Data: aws.String(e.Text), Charset: utf8},
			},
		}},
	}
	if s.configurationSet != "" {
		in.ConfigurationSetName = aws.String(s.configurationSet)
	}
	for k, v := range e.Tags {
		// SES tag values allow only these characters.
		in.EmailTags = append(in.EmailTags, types.MessageTag{Name: aws.String(k), Value: aws.String(tagValue.ReplaceAllString(v, "_"))})
	}
	if _, err := s.ses.SendEmail(ctx, in); err != nil {
		return fmt.Errorf("ses SendEmail: %w", err)
	}
	return nil
}
