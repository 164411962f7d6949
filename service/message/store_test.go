package message

import (
	"context"
	"sync"
	"testing"

	"tiktok/internal/testdb"
)

// Many messages sent in the same millisecond still get distinct, increasing
// times in their conversation, and the latest is found per conversation.
func TestSameMillisecondOrder(t *testing.T) {
	s := &store{db: testdb.Open(t, "message", Schema)}
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			from, to := int64(1), int64(2)
			if i%2 == 1 {
				from, to = 2, 1
			}
			if err := s.insert(ctx, &Message{ConvKey: convKey(from, to), FromUserID: from, ToUserID: to, Content: "m"}, 1000); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	ms, err := s.all(ctx, convKey(2, 1), 1) // viewer 1 has now been sent its messages
	if err != nil || len(ms) != n {
		t.Fatalf("%d messages, %v", len(ms), err)
	}
	for i := 1; i < n; i++ {
		if ms[i].CreateTime <= ms[i-1].CreateTime {
			t.Fatalf("times not strictly increasing at %d: %d, %d", i, ms[i-1].CreateTime, ms[i].CreateTime)
		}
	}
	s.insert(ctx, &Message{ConvKey: convKey(1, 3), FromUserID: 3, ToUserID: 1, Content: "hello from 3"}, 5)
	latest, err := s.latest(ctx, []string{convKey(1, 2), convKey(1, 3), convKey(1, 9)})
	if err != nil || len(latest) != 2 {
		t.Fatalf("latest: %v %v", latest, err)
	}
	after, _ := s.receivedAfter(ctx, convKey(1, 2), 1, ms[n/2].CreateTime)
	for _, m := range after {
		if m.ToUserID != 1 || m.CreateTime <= ms[n/2].CreateTime {
			t.Fatalf("receivedAfter returned %+v", m)
		}
	}
	// A message never sent to its recipient comes back even when the cursor is
	// past it (the app's cursor may be its own clock), and only once.
	s.insert(ctx, &Message{ConvKey: convKey(1, 2), FromUserID: 2, ToUserID: 1, Content: "late"}, 0)
	cursor := ms[n-1].CreateTime + 1000
	got, _ := s.receivedAfter(ctx, convKey(1, 2), 1, cursor)
	if len(got) != 1 || got[0].Content != "late" {
		t.Fatalf("undelivered message: %+v", got)
	}
	if again, _ := s.receivedAfter(ctx, convKey(1, 2), 1, cursor); len(again) != 0 {
		t.Fatalf("repeated: %+v", again)
	}
}
