package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
)

var now = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// laggingStore is an outbox whose index, like DynamoDB's, shows deletes one
// query late.
type laggingStore struct {
	entries    map[string]mail.Message // live
	visible    map[string]bool         // what the index still shows
	unreadable int                     // entries at the head that cannot be read
}

func newStore(n int) *laggingStore {
	s := &laggingStore{entries: map[string]mail.Message{}, visible: map[string]bool{}}
	for i := range n {
		id := fmt.Sprintf("m%04d", i)
		s.entries[id] = mail.Message{ID: id, Kind: mail.Welcome, To: id + "@example.com", CreatedAt: now.Add(-time.Hour)}
		s.visible[id] = true
	}
	return s
}

func (s *laggingStore) PendingMail(_ context.Context, _ time.Time, cursor string, limit int) ([]mail.Message, string, int, error) {
	var ids []string
	for id := range s.visible {
		if id > cursor {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	skipped := 0
	if cursor == "" {
		skipped = s.unreadable
	}
	if len(ids) > limit {
		ids = ids[:limit]
	}
	var out []mail.Message
	for _, id := range ids {
		out = append(out, s.entries[id])
	}
	next := ""
	if len(ids) == limit {
		next = ids[len(ids)-1]
	}
	// The deletes made before this query become visible only now.
	for id := range s.visible {
		if _, live := s.entries[id]; !live {
			delete(s.visible, id)
		}
	}
	return out, next, skipped, nil
}

func (s *laggingStore) MailSent(_ context.Context, ids ...string) error {
	for _, id := range ids {
		delete(s.entries, id)
	}
	return nil
}

type fakeQueue struct {
	sent    map[string]int
	failIDs map[string]bool
	down    bool
}

func (q *fakeQueue) Send(_ context.Context, msgs []mail.Message) ([]string, error) {
	if q.down {
		return nil, errors.New("queue unreachable")
	}
	var failed []string
	for _, m := range msgs {
		if q.failIDs[m.ID] {
			failed = append(failed, m.ID)
			continue
		}
		q.sent[m.ID]++
	}
	return failed, nil
}

func relay(s outbox.Store, q outbox.Queue) *outbox.Relay {
	return outbox.New(s, q, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestDrain(t *testing.T) {
	t.Run("a backlog drains in one run even though the index lags behind deletes", func(t *testing.T) {
		s, q := newStore(230), &fakeQueue{sent: map[string]int{}}
		n, err := relay(s, q).Drain(context.Background())
		if err != nil || n != 230 || len(s.entries) != 0 {
			t.Fatalf("sent %d, err %v, %d left; want all 230 sent", n, err, len(s.entries))
		}
		for id, c := range q.sent {
			if c != 1 {
				t.Errorf("%s enqueued %d times", id, c)
			}
		}
	})
	t.Run("unreadable entries do not stop the rest, and make the run fail loudly", func(t *testing.T) {
		s, q := newStore(60), &fakeQueue{sent: map[string]int{}}
		s.unreadable = 3
		n, err := relay(s, q).Drain(context.Background())
		if n != 60 || !errors.Is(err, outbox.ErrUnreadable) {
			t.Errorf("sent %d, err %v; want 60 and ErrUnreadable", n, err)
		}
	})
	t.Run("a mail the queue refuses stays in the outbox", func(t *testing.T) {
		s, q := newStore(5), &fakeQueue{sent: map[string]int{}, failIDs: map[string]bool{"m0002": true}}
		n, err := relay(s, q).Drain(context.Background())
		if err != nil || n != 4 {
			t.Fatalf("sent %d, err %v", n, err)
		}
		if _, left := s.entries["m0002"]; !left || len(s.entries) != 1 {
			t.Errorf("left %v, want only m0002", s.entries)
		}
	})
}

func TestFlush(t *testing.T) {
	t.Run("a queue outage leaves the mails for the relay and does not fail the caller", func(t *testing.T) {
		s, q := newStore(2), &fakeQueue{sent: map[string]int{}, down: true}
		var msgs []mail.Message
		for _, m := range s.entries {
			msgs = append(msgs, m)
		}
		relay(s, q).Flush(context.Background(), msgs)
		if len(s.entries) != 2 {
			t.Errorf("left %d entries, want both", len(s.entries))
		}
		q.down = false
		if n, err := relay(s, q).Drain(context.Background()); err != nil || n != 2 {
			t.Errorf("drain after the outage sent %d, %v", n, err)
		}
	})
}
