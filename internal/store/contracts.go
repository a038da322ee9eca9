package store

import (
	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/shopping"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/vat"
	"github.com/openreg/registration/internal/verification"
)

// The store satisfies every use case's own Store interface.
var (
	_ registration.Store           = (*Store)(nil)
	_ verification.Store           = (*Store)(nil)
	_ signin.Store                 = (*Store)(nil)
	_ session.Store                = (*Store)(nil)
	_ mail.Ledger                  = (*Store)(nil)
	_ verification.LinkStore       = (*Store)(nil)
	_ verification.Jobs            = (*Store)(nil)
	_ registration.CompletionStore = (*Store)(nil)
	_ myaccount.Store              = (*Store)(nil)
	_ shopping.Store               = (*Store)(nil)
	_ admin.Store                  = (*Store)(nil)
	_ vat.Store                    = (*Store)(nil)
)
