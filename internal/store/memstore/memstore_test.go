package memstore_test

import (
	"testing"

	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
)

// The store keeps passkeys as the DynamoDB store does.
var _ storetest.Store = (*memstore.Store)(nil)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock *storetest.Clock) storetest.Store { return memstore.New(clock.Now) })
}
