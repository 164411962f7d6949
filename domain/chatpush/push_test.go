package chatpush_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"tiktok/domain/chatpush"
	"tiktok/domain/chatpush/chatpushtest"
)

func recv(t *testing.T, s *chatpush.Stream) chatpush.Message {
	t.Helper()
	select {
	case m := <-s.Events():
		return m
	case <-s.Ended():
		t.Fatalf("stream ended: %s", s.Reason())
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return chatpush.Message{}
}

func none(t *testing.T, s *chatpush.Stream, wait time.Duration) {
	t.Helper()
	select {
	case m := <-s.Events():
		t.Fatalf("unexpected event %+v", m)
	case <-time.After(wait):
	}
}

func TestPublishedMessageReachesEachStreamOfItsRecipientOnce(t *testing.T) {
	nc, subj := chatpushtest.Connect(t)
	pubConn, _ := chatpushtest.Connect(t) // the message service's own connection
	h := chatpush.NewHub(nc, chatpush.Options{Subject: subj, PerUser: 4, Total: 10, Buffer: 8})
	defer h.Close()
	ctx := context.Background()
	a1, err := h.Join(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer a1.Leave()
	a2, err := h.Join(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Leave()
	b, err := h.Join(ctx, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Leave()

	p := chatpush.NewPublisher(pubConn, subj)
	want := chatpush.Message{ID: 1, ToUserID: 7, FromUserID: 8, Content: "hi\nthere <b>", CreateTime: 1700000000123}
	if err := p.Chat(want); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*chatpush.Stream{a1, a2} {
		if got := recv(t, s); got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
	none(t, b, 300*time.Millisecond) // the sender's stream hears nothing
	none(t, a1, 0)
	none(t, a2, 0)
	if h.Streams() != 3 {
		t.Fatalf("streams %d, want 3", h.Streams())
	}
}

func TestBounds(t *testing.T) {
	nc, subj := chatpushtest.Connect(t)
	h := chatpush.NewHub(nc, chatpush.Options{Subject: subj, PerUser: 2, Total: 3, Buffer: 1})
	defer h.Close()
	ctx := context.Background()
	a1, _ := h.Join(ctx, 1)
	a2, err := h.Join(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Join(ctx, 1); !errors.Is(err, chatpush.ErrUserBusy) {
		t.Fatalf("third stream of one user: %v, want ErrUserBusy", err)
	}
	b, err := h.Join(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Join(ctx, 3); !errors.Is(err, chatpush.ErrFull) {
		t.Fatalf("past the total: %v, want ErrFull", err)
	}
	a1.Leave()
	a1.Leave() // twice is harmless
	if _, err := h.Join(ctx, 3); err != nil {
		t.Fatalf("a slot freed by Leave: %v", err)
	}
	a2.Leave()
	b.Leave()
	if n := nc.NumSubscriptions(); n != 1 { // user 3's
		t.Fatalf("%d subscriptions: the last stream of a user left its subscription behind", n)
	}
}

func TestSlowReaderIsEndedNotWaitedFor(t *testing.T) {
	nc, subj := chatpushtest.Connect(t)
	h := chatpush.NewHub(nc, chatpush.Options{Subject: subj, PerUser: 2, Total: 2, Buffer: 2})
	defer h.Close()
	slow, err := h.Join(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	p := chatpush.NewPublisher(nc, subj)
	for i := int64(1); i <= 3; i++ {
		p.Chat(chatpush.Message{ID: i, ToUserID: 5, FromUserID: 6, Content: "x", CreateTime: i})
	}
	select {
	case <-slow.Ended():
		if slow.Reason() != "slow reader" {
			t.Fatalf("reason %q", slow.Reason())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stream whose buffer overflowed was not ended")
	}
	if h.Streams() != 0 {
		t.Fatalf("an ended stream still counts: %d", h.Streams())
	}
}

func TestMalformedAndMisaddressedEventsDropped(t *testing.T) {
	nc, subj := chatpushtest.Connect(t)
	h := chatpush.NewHub(nc, chatpush.Options{Subject: subj, PerUser: 1, Total: 1, Buffer: 4})
	defer h.Close()
	s, err := h.Join(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Leave()
	nc.Publish(chatpush.Subject(subj, 5), []byte("not json"))
	nc.Publish(chatpush.Subject(subj, 5), []byte(`{"id":1,"to_user_id":6,"from_user_id":5,"content":"x","create_time":1}`))
	chatpush.NewPublisher(nc, subj).Chat(chatpush.Message{ID: 2, ToUserID: 5, FromUserID: 6, Content: "ok", CreateTime: 2})
	if m := recv(t, s); m.ID != 2 {
		t.Fatalf("got %+v, want only the well-formed message", m)
	}
}

func TestLinkLostEndsStreamsAndRefusesNew(t *testing.T) {
	nc, subj := chatpushtest.Connect(t)
	h := chatpush.NewHub(nc, chatpush.Options{Subject: subj, PerUser: 1, Total: 1, Buffer: 1})
	defer h.Close()
	s, err := h.Join(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	select {
	case <-s.Ended():
		if s.Reason() != "push link lost" {
			t.Fatalf("reason %q", s.Reason())
		}
	case <-time.After(3 * time.Second):
		t.Fatal("streams outlived the NATS link")
	}
	if _, err := h.Join(context.Background(), 6); !errors.Is(err, chatpush.ErrUnavailable) {
		t.Fatalf("join without a link: %v, want ErrUnavailable", err)
	}
}

func TestCloseEndsStreams(t *testing.T) {
	nc, subj := chatpushtest.Connect(t)
	h := chatpush.NewHub(nc, chatpush.Options{Subject: subj, PerUser: 1, Total: 1, Buffer: 1})
	s, err := h.Join(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	<-s.Ended()
	if _, err := h.Join(context.Background(), 5); !errors.Is(err, chatpush.ErrUnavailable) {
		t.Fatalf("join after Close: %v", err)
	}
	h.Close()
}

func TestWithoutNATS(t *testing.T) {
	h := chatpush.NewHub(nil, chatpush.Options{})
	defer h.Close()
	if _, err := h.Join(context.Background(), 1); !errors.Is(err, chatpush.ErrUnavailable) {
		t.Fatalf("join without a connection: %v", err)
	}
	var p *chatpush.Publisher
	if err := p.Chat(chatpush.Message{ID: 1, ToUserID: 1}); err != nil {
		t.Fatalf("a nil publisher: %v", err)
	}
	if err := chatpush.NewPublisher(nil, "").Chat(chatpush.Message{ID: 1, ToUserID: 1}); err != nil {
		t.Fatalf("a publisher without a connection: %v", err)
	}
}
