package message

import (
	"context"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client/callopt"

	"tiktok/domain/chatpush"
	"tiktok/domain/chatpush/chatpushtest"
	"tiktok/internal/testdb"
	"tiktok/kitex_gen/base"
	mpb "tiktok/kitex_gen/message"
	"tiktok/kitex_gen/user"
	"tiktok/kitex_gen/user/userservice"
)

// users answers MGetUsers: every id below 100 exists.
type users struct{ userservice.Client }

func (users) MGetUsers(_ context.Context, r *base.IdsRequest, _ ...callopt.Option) (*user.UsersResponse, error) {
	out := map[int64]*base.UserInfo{}
	for _, id := range r.Ids {
		if id < 100 {
			out[id] = &base.UserInfo{Id: id}
		}
	}
	return &user.UsersResponse{Users: out}, nil
}

// A committed Send is announced to its recipient, once, with the id and
// time the chat's polls return; a refused one is not announced.
func TestSendAnnouncesToTheRecipient(t *testing.T) {
	nc, subj := chatpushtest.Connect(t)
	hub := chatpush.NewHub(nc, chatpush.Options{Subject: subj, PerUser: 1, Total: 4, Buffer: 8})
	defer hub.Close()
	ctx := context.Background()
	bob, err := hub.Join(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Leave()
	alice, err := hub.Join(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Leave()

	s, err := New(Options{DB: testdb.Open(t, "message", Schema), User: users{}, Push: chatpush.NewPublisher(nc, subj)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, &mpb.SendRequest{FromUserId: 1, ToUserId: 2, Content: "hello <b>"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*mpb.SendRequest{
		{FromUserId: 1, ToUserId: 2, Content: ""},    // refused: blank
		{FromUserId: 1, ToUserId: 500, Content: "x"}, // refused: no such user
	} {
		if _, err := s.Send(ctx, bad); err == nil {
			t.Fatalf("%+v was accepted", bad)
		}
	}
	chat, err := s.Chat(ctx, &mpb.ChatRequest{ViewerId: 2, PeerId: 1})
	if err != nil || len(chat.Messages) != 1 {
		t.Fatalf("chat: %v %v", chat, err)
	}
	m := chat.Messages[0]
	want := chatpush.Message{ID: m.Id, ToUserID: 2, FromUserID: 1, Content: "hello <b>", CreateTime: m.CreateTime}
	select {
	case got := <-bob.Events():
		if got != want {
			t.Fatalf("announced %+v, want %+v", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the send was not announced")
	}
	select {
	case got := <-bob.Events():
		t.Fatalf("announced again: %+v", got)
	case got := <-alice.Events():
		t.Fatalf("the sender was announced its own message: %+v", got)
	case <-time.After(300 * time.Millisecond):
	}
}

// A dependency missing is an error at construction, not a nil dereference
// at the first send.
func TestNewRequiresItsDependencies(t *testing.T) {
	full := Options{DB: testdb.Open(t, "message", Schema), User: users{}, Push: chatpush.NewPublisher(nil, "")}
	if _, err := New(full); err != nil {
		t.Fatalf("all given: %v", err)
	}
	for name, drop := range map[string]func(*Options){
		"no database": func(o *Options) { o.DB = nil },
		"no user":     func(o *Options) { o.User = nil },
		"no push":     func(o *Options) { o.Push = nil },
	} {
		o := full
		drop(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}
