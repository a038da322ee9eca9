package store

import (
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/store/keys"
)

// The item shapes. Field names are the attribute names; times are RFC 3339
// strings except where a condition compares them, which are epoch numbers.

// head is what every item starts with: its key and its kind (AttrType).
type head struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
}

type customerItem struct {
	head
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
	// Addresses live on the customer's item: they are read with it and
	// written in its writes, at no item of their own.
	Addresses         []customer.Address `dynamodbav:"addresses,omitempty"`
	BillingAddressID  string             `dynamodbav:"billingAddressId,omitempty"`
	ShippingAddressID string             `dynamodbav:"shippingAddressId,omitempty"`
	Vat               *customer.VatCheck `dynamodbav:"vat,omitempty"`
	CreatedAt         string             `dynamodbav:"createdAt"`
	UpdatedAt         string             `dynamodbav:"updatedAt"`
	Link              *linkItem          `dynamodbav:"link,omitempty"`
	VoidedLinks       []string           `dynamodbav:"voidedLinks,omitempty"`
	VerifiedLink      string             `dynamodbav:"verifiedLink,omitempty"`
	ReturnURL         string             `dynamodbav:"returnUrl,omitempty"`
	// ExpiresAt (epoch seconds) is set while the account is unverified;
	// TTL carries the same value, so the table forgets the account and its
	// keys at the time the code stops seeing them.
	ExpiresAt int64 `dynamodbav:"expiresAt,omitempty"`
	TTL       int64 `dynamodbav:"ttl,omitempty"`
	// Registered and Verified are the account's own activity entries
	// (registered, email verified): written with the account in the same
	// item, so they cost no item of their own. The activity log is these
	// and the ACTIVITY# items.
	Registered *eventRecord `dynamodbav:"registered,omitempty"`
	Verified   *eventRecord `dynamodbav:"verified,omitempty"`
	// Session revocation, the password-reset link and a pending address
	// change (customer.Customer).
	SessionsValidFrom string           `dynamodbav:"sessionsValidFrom,omitempty"`
	KeptSession       string           `dynamodbav:"keptSession,omitempty"`
	Reset             *linkItem        `dynamodbav:"reset,omitempty"`
	EmailChange       *emailChangeItem `dynamodbav:"emailChange,omitempty"`
	RecoveredAt       string           `dynamodbav:"recoveredAt,omitempty"`
	CodesVoidBefore   string           `dynamodbav:"codesVoidBefore,omitempty"`
	HasPasskeys       bool             `dynamodbav:"hasPasskeys,omitempty"`
	EmailStatus       string           `dynamodbav:"emailStatus,omitempty"`
	// ReceivedAt (Unix nanoseconds, to compare in a condition) is when the
	// registration the account holds was received.
	ReceivedAt int64 `dynamodbav:"receivedAt,omitempty"`
	ByOperator bool  `dynamodbav:"byOperator,omitempty"`
	// The back office's index (statusindex.go).
	StatusKey  string `dynamodbav:"statusKey,omitempty"`
	StatusSort string `dynamodbav:"statusSort,omitempty"`
	// The sparse index of undeliverable customers: their store's id, set
	// only while mail to them is stopped.
	UndeliverableKey string `dynamodbav:"undeliverableKey,omitempty"`
}

// emailChangeItem is a requested address change and its link's digest.
type emailChangeItem struct {
	NewEmail string   `dynamodbav:"newEmail"`
	Link     linkItem `dynamodbav:"link"`
}

// eventRecord is an activity entry kept on the item it is about.
type eventRecord struct {
	Type   string            `dynamodbav:"type"`
	At     string            `dynamodbav:"at"`
	Detail map[string]string `dynamodbav:"detail,omitempty"`
}

func newEventRecord(a customer.Activity) *eventRecord {
	detail := map[string]string{}
	for k, v := range a.Detail {
		if v != "" {
			detail[k] = v
		}
	}
	return &eventRecord{Type: string(a.Type), At: formatTime(a.At), Detail: detail}
}

// linkItem is the live verification link (its digest only).
type linkItem struct {
	Digest    string `dynamodbav:"digest"`
	IssuedAt  string `dynamodbav:"issuedAt"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
	Attempts  int    `dynamodbav:"attempts"`
	IssuedBy  string `dynamodbav:"issuedBy,omitempty"`
	SentTo    string `dynamodbav:"sentTo,omitempty"`
	Code      string `dynamodbav:"code,omitempty"`
}

func newLinkItem(l *customer.Link) *linkItem {
	if l == nil {
		return nil
	}
	return &linkItem{Digest: l.Digest, IssuedAt: formatTime(l.IssuedAt), ExpiresAt: l.ExpiresAt.Unix(), Attempts: l.Attempts, IssuedBy: l.IssuedBy, SentTo: l.SentTo, Code: l.Code}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func epoch(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromEpoch(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

func newCustomerItem(c customer.Customer, emailKey, usernameKey string) customerItem {
	it := customerItem{
		head: head{customerPK(c.ID), keys.SKProfile, "customer"}, ID: c.ID,
		StoreID: c.StoreID, Email: c.Email, EmailKey: emailKey,
		Username: c.Username, UsernameKey: usernameKey,
		Status: string(c.Status), RequiresApproval: c.RequiresApproval,
		EmailVerifiedAt: formatTime(c.EmailVerifiedAt), PasswordHash: c.PasswordHash,
		Language: c.Language, Profile: c.Profile, Attributes: c.Attributes, Newsletters: c.Newsletters,
		Addresses: c.Addresses, BillingAddressID: c.BillingAddressID, ShippingAddressID: c.ShippingAddressID, Vat: c.Vat,
		CreatedAt: formatTime(c.CreatedAt), UpdatedAt: formatTime(c.UpdatedAt),
		Link: newLinkItem(c.Link), VoidedLinks: c.VoidedLinks, VerifiedLink: c.VerifiedLink, ReturnURL: c.ReturnURL,
		ExpiresAt: epoch(c.ExpiresAt), TTL: epoch(c.ExpiresAt),
		Registered: eventOf(c.Registered), Verified: eventOf(c.Verification),
		SessionsValidFrom: formatTime(c.SessionsValidFrom), KeptSession: c.KeptSession,
		Reset: newLinkItem(c.Reset), RecoveredAt: formatTime(c.RecoveredAt), CodesVoidBefore: formatTime(c.CodesVoidBefore), HasPasskeys: c.HasPasskeys, EmailStatus: string(c.EmailStatus), ByOperator: c.ByOperator, ReceivedAt: unixNano(c.ReceivedAt),
	}
	if ch := c.EmailChange; ch != nil {
		it.EmailChange = &emailChangeItem{NewEmail: ch.NewEmail, Link: *newLinkItem(&ch.Link)}
	}
	it.StatusKey, it.StatusSort = statusKeys(c)
	if c.Undeliverable() && it.StatusKey != "" {
		it.UndeliverableKey = c.StoreID
	}
	return it
}

func eventOf(a *customer.Activity) *eventRecord {
	if a == nil {
		return nil
	}
	return newEventRecord(*a)
}

func (e *eventRecord) activity(customerID string) *customer.Activity {
	if e == nil {
		return nil
	}
	return &customer.Activity{CustomerID: customerID, Type: customer.ActivityType(e.Type), At: parseTime(e.At), Detail: e.Detail}
}

func (i customerItem) customer() customer.Customer {
	c := customer.Customer{
		ID: i.ID, StoreID: i.StoreID, Email: i.Email, Username: i.Username,
		Status: customer.Status(i.Status), RequiresApproval: i.RequiresApproval,
		EmailVerifiedAt: parseTime(i.EmailVerifiedAt), PasswordHash: i.PasswordHash,
		Language: i.Language, Profile: i.Profile, Attributes: i.Attributes, Newsletters: i.Newsletters,
		Addresses: i.Addresses, BillingAddressID: i.BillingAddressID, ShippingAddressID: i.ShippingAddressID, Vat: i.Vat,
		CreatedAt: parseTime(i.CreatedAt), UpdatedAt: parseTime(i.UpdatedAt),
		VoidedLinks: i.VoidedLinks, VerifiedLink: i.VerifiedLink, ReturnURL: i.ReturnURL, ExpiresAt: fromEpoch(i.ExpiresAt),
		Registered: i.Registered.activity(i.ID), Verification: i.Verified.activity(i.ID),
	}
	c.Link = i.Link.link()
	c.SessionsValidFrom, c.KeptSession, c.Reset = parseTime(i.SessionsValidFrom), i.KeptSession, i.Reset.link()
	c.RecoveredAt, c.CodesVoidBefore, c.ByOperator = parseTime(i.RecoveredAt), parseTime(i.CodesVoidBefore), i.ByOperator
	c.HasPasskeys, c.EmailStatus = i.HasPasskeys, customer.EmailStatus(i.EmailStatus)
	if i.ReceivedAt != 0 {
		c.ReceivedAt = time.Unix(0, i.ReceivedAt).UTC()
	}
	if ch := i.EmailChange; ch != nil {
		c.EmailChange = &customer.EmailChange{NewEmail: ch.NewEmail, Link: *ch.Link.link()}
	}
	return c
}

func (l *linkItem) link() *customer.Link {
	if l == nil {
		return nil
	}
	return &customer.Link{Digest: l.Digest, IssuedAt: parseTime(l.IssuedAt), ExpiresAt: fromEpoch(l.ExpiresAt),
		Attempts: l.Attempts, IssuedBy: l.IssuedBy, SentTo: l.SentTo, Code: l.Code}
}

// pendingItem is a registration waiting for the mailer to complete it.
// Once completed it keeps only its outcome.
type pendingItem struct {
	head
	ID               string                   `dynamodbav:"id"`
	AccountID        string                   `dynamodbav:"accountId,omitempty"`
	JobID            string                   `dynamodbav:"jobId,omitempty"`
	StoreID          string                   `dynamodbav:"storeId,omitempty"`
	Email            string                   `dynamodbav:"email,omitempty"`
	EmailKey         string                   `dynamodbav:"emailKey,omitempty"`
	Username         string                   `dynamodbav:"username,omitempty"`
	UsernameKey      string                   `dynamodbav:"usernameKey,omitempty"`
	PasswordHash     string                   `dynamodbav:"passwordHash,omitempty"`
	Language         string                   `dynamodbav:"language,omitempty"`
	Profile          *customer.Profile        `dynamodbav:"profile,omitempty"`
	Attributes       map[string]string        `dynamodbav:"attributes,omitempty"`
	Newsletters      []string                 `dynamodbav:"newsletters,omitempty"`
	Address          *customer.Address        `dynamodbav:"address,omitempty"`
	Consents         []customer.ConsentRecord `dynamodbav:"consents,omitempty"`
	RequiresApproval bool                     `dynamodbav:"requiresApproval,omitempty"`
	ReturnURL        string                   `dynamodbav:"returnUrl,omitempty"`
	SourceIP         string                   `dynamodbav:"sourceIp,omitempty"`
	GuestID          string                   `dynamodbav:"guestId,omitempty"`
	CreatedAt        string                   `dynamodbav:"createdAt,omitempty"`
	ExpiresAt        int64                    `dynamodbav:"expiresAt"`
	Outcome          string                   `dynamodbav:"outcome,omitempty"`
	CustomerID       string                   `dynamodbav:"customerId,omitempty"`
	TTL              int64                    `dynamodbav:"ttl"`
	// Message is the job that completes the registration, carried to the
	// mailer by the stream (see outbox.go).
	Message string `dynamodbav:"outboxMessage,omitempty"`
}

func newPendingItem(p registration.Pending) pendingItem {
	profile := p.Profile
	return pendingItem{
		head: head{pendingPK(p.ID), keys.SKPending, "registration"}, ID: p.ID, AccountID: p.AccountID, JobID: p.JobID, StoreID: p.StoreID,
		Email: p.Email, EmailKey: p.EmailKey, Username: p.Username, UsernameKey: p.UsernameKey,
		PasswordHash: p.PasswordHash, Language: p.Language, Profile: &profile, Attributes: p.Attributes,
		Newsletters: p.Newsletters, Address: p.Address, Consents: p.Consents, RequiresApproval: p.RequiresApproval,
		ReturnURL: p.ReturnURL, SourceIP: p.SourceIP, GuestID: p.GuestID, CreatedAt: formatTime(p.CreatedAt),
		ExpiresAt: p.ExpiresAt.Unix(), TTL: p.ExpiresAt.Unix(),
	}
}

func (i pendingItem) pending() registration.Pending {
	p := registration.Pending{
		ID: i.ID, AccountID: i.AccountID, JobID: i.JobID, StoreID: i.StoreID, Email: i.Email, EmailKey: i.EmailKey, Username: i.Username,
		UsernameKey: i.UsernameKey, PasswordHash: i.PasswordHash, Language: i.Language, Attributes: i.Attributes,
		Newsletters: i.Newsletters, Address: i.Address, Consents: i.Consents, RequiresApproval: i.RequiresApproval,
		ReturnURL: i.ReturnURL, SourceIP: i.SourceIP, GuestID: i.GuestID, CreatedAt: parseTime(i.CreatedAt),
		ExpiresAt: fromEpoch(i.ExpiresAt), Outcome: registration.Outcome(i.Outcome), CustomerID: i.CustomerID,
	}
	if i.Profile != nil {
		p.Profile = *i.Profile
	}
	return p
}

type activityItem struct {
	head
	CustomerID string            `dynamodbav:"customerId"`
	Activity   string            `dynamodbav:"activity"`
	At         string            `dynamodbav:"at"`
	Detail     map[string]string `dynamodbav:"detail,omitempty"`
	// Message is a mail the recorded event causes, carried to the mailer
	// by the stream (see outbox.go).
	Message string `dynamodbav:"outboxMessage,omitempty"`
}

func (s *Store) newActivityItem(a customer.Activity) activityItem {
	detail := map[string]string{}
	for k, v := range a.Detail {
		if v != "" {
			detail[k] = v
		}
	}
	return activityItem{
		head:       head{customerPK(a.CustomerID), keys.SKActivity + sortableTime(a.At) + "#" + s.suffix(), "activity"},
		CustomerID: a.CustomerID, Activity: string(a.Type), At: formatTime(a.At), Detail: detail,
	}
}

type consentItem struct {
	head
	CustomerID string `dynamodbav:"customerId"`
	ConsentID  string `dynamodbav:"consentId"`
	Agreed     bool   `dynamodbav:"agreed"`
	Message    string `dynamodbav:"message"`
	At         string `dynamodbav:"at"`
}
