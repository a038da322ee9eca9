package store

import (
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
)

// The item shapes. Field names are the attribute names; times are RFC 3339
// strings except where a condition compares them, which are epoch numbers.

type customerItem struct {
	PK               string            `dynamodbav:"PK"`
	SK               string            `dynamodbav:"SK"`
	Type             string            `dynamodbav:"type"`
	ID               string            `dynamodbav:"id"`
	StoreID          string            `dynamodbav:"storeId"`
	Email            string            `dynamodbav:"email"`
	EmailKey         string            `dynamodbav:"emailKey"`
	Username         string            `dynamodbav:"username,omitempty"`
	UsernameKey      string            `dynamodbav:"usernameKey,omitempty"`
	Status           string            `dynamodbav:"status"`
	RequiresApproval bool              `dynamodbav:"requiresApproval"`
	EmailVerifiedAt  string            `dynamodbav:"emailVerifiedAt,omitempty"`
	PasswordHash     string            `dynamodbav:"passwordHash"`
	Language         string            `dynamodbav:"language"`
	Profile          customer.Profile  `dynamodbav:"profile"`
	Attributes       map[string]string `dynamodbav:"attributes,omitempty"`
	Newsletters      []string          `dynamodbav:"newsletters,omitempty"`
	CreatedAt        string            `dynamodbav:"createdAt"`
	UpdatedAt        string            `dynamodbav:"updatedAt"`
}

func newCustomerItem(c customer.Customer, emailKey, usernameKey string) customerItem {
	return customerItem{
		PK: customerPK(c.ID), SK: skProfile, Type: "customer",
		ID: c.ID, StoreID: c.StoreID, Email: c.Email, EmailKey: emailKey,
		Username: c.Username, UsernameKey: usernameKey,
		Status: string(c.Status), RequiresApproval: c.RequiresApproval,
		EmailVerifiedAt: formatTime(c.EmailVerifiedAt), PasswordHash: c.PasswordHash,
		Language: c.Language, Profile: c.Profile, Attributes: c.Attributes, Newsletters: c.Newsletters,
		CreatedAt: formatTime(c.CreatedAt), UpdatedAt: formatTime(c.UpdatedAt),
	}
}

func (i customerItem) customer() customer.Customer {
	return customer.Customer{
		ID: i.ID, StoreID: i.StoreID, Email: i.Email, Username: i.Username,
		Status: customer.Status(i.Status), RequiresApproval: i.RequiresApproval,
		EmailVerifiedAt: parseTime(i.EmailVerifiedAt), PasswordHash: i.PasswordHash,
		Language: i.Language, Profile: i.Profile, Attributes: i.Attributes, Newsletters: i.Newsletters,
		CreatedAt: parseTime(i.CreatedAt), UpdatedAt: parseTime(i.UpdatedAt),
	}
}

// keyItem reserves an email address or username for one customer.
type keyItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Type       string `dynamodbav:"type"`
	CustomerID string `dynamodbav:"customerId"`
}

type tokenItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Type       string `dynamodbav:"type"`
	CustomerID string `dynamodbav:"customerId"`
	ExpiresAt  int64  `dynamodbav:"expiresAt"`
	UsedAt     string `dynamodbav:"usedAt,omitempty"`
	CreatedAt  string `dynamodbav:"createdAt"`
	TTL        int64  `dynamodbav:"ttl"`
}

// usedTokenRetention keeps a token after it expires so a second click on an
// old link still gets "already verified" rather than "invalid" for a while.
const usedTokenRetention = 30 * 24 * time.Hour

type sessionItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Type       string `dynamodbav:"type"`
	CustomerID string `dynamodbav:"customerId"`
	RememberMe bool   `dynamodbav:"rememberMe"`
	CreatedAt  string `dynamodbav:"createdAt"`
	ExpiresAt  int64  `dynamodbav:"expiresAt"`
	TTL        int64  `dynamodbav:"ttl"`
}

type activityItem struct {
	PK         string            `dynamodbav:"PK"`
	SK         string            `dynamodbav:"SK"`
	Type       string            `dynamodbav:"type"`
	CustomerID string            `dynamodbav:"customerId"`
	Activity   string            `dynamodbav:"activity"`
	At         string            `dynamodbav:"at"`
	Detail     map[string]string `dynamodbav:"detail,omitempty"`
}

func (s *Store) newActivityItem(a customer.Activity) activityItem {
	detail := map[string]string{}
	for k, v := range a.Detail {
		if v != "" {
			detail[k] = v
		}
	}
	return activityItem{
		PK: customerPK(a.CustomerID), SK: "ACTIVITY#" + sortableTime(a.At) + "#" + s.suffix(), Type: "activity",
		CustomerID: a.CustomerID, Activity: string(a.Type), At: formatTime(a.At), Detail: detail,
	}
}

type consentItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Type       string `dynamodbav:"type"`
	CustomerID string `dynamodbav:"customerId"`
	ConsentID  string `dynamodbav:"consentId"`
	Agreed     bool   `dynamodbav:"agreed"`
	Message    string `dynamodbav:"message"`
	At         string `dynamodbav:"at"`
}

type throttleItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Type        string `dynamodbav:"type"`
	Count       int    `dynamodbav:"failures"`
	WindowStart int64  `dynamodbav:"windowStart"`
	LockedUntil int64  `dynamodbav:"lockedUntil"`
	TTL         int64  `dynamodbav:"ttl"`
}

// outboxRetention bounds how long an unsent mail waits in the outbox; the
// relay alarms long before that.
const outboxRetention = 7 * 24 * time.Hour

type outboxItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	GSI1PK    string `dynamodbav:"GSI1PK"`
	GSI1SK    string `dynamodbav:"GSI1SK"`
	Message   string `dynamodbav:"message"`
	CreatedAt string `dynamodbav:"createdAt"`
	TTL       int64  `dynamodbav:"ttl"`
}

// outboxPartition is the GSI1 partition of pending mails.
const outboxPartition = "OUTBOX"

func newOutboxItem(m mail.Message) (outboxItem, error) {
	body, err := m.Encode()
	if err != nil {
		return outboxItem{}, err
	}
	return outboxItem{
		PK: outboxPK(m.ID), SK: skMail, Type: "outbox",
		GSI1PK: outboxPartition, GSI1SK: sortableTime(m.CreatedAt) + "#" + m.ID,
		Message: body, CreatedAt: formatTime(m.CreatedAt), TTL: m.CreatedAt.Add(outboxRetention).Unix(),
	}, nil
}
