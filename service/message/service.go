// Package message is the message service: it owns chats between users.
package message

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
	"gorm.io/gorm"

	"tiktok/domain/chatpush"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/validate"
	"tiktok/kitex_gen/base"
	mpb "tiktok/kitex_gen/message"
	"tiktok/kitex_gen/user/userservice"
)

// Service implements messageservice's Kitex interface itself.
type Service struct {
	st   *store
	user userservice.Client
	push *chatpush.Publisher
}

var _ mpb.MessageService = (*Service)(nil)

// Options are what the message service is built on; each is required.
type Options struct {
	DB   *gorm.DB           // the messages table
	User userservice.Client // checks that a recipient exists
	// Push announces each message to its recipient's gateways once it is
	// committed (docs/ARCHITECTURE.md, Chat push). The service is the one
	// place every send passes, whichever gateway or caller made it.
	Push *chatpush.Publisher
}

// New fails when a dependency is missing.
func New(o Options) (*Service, error) {
	switch {
	case o.DB == nil:
		return nil, errors.New("message: no database")
	case o.User == nil:
		return nil, errors.New("message: no user client")
	case o.Push == nil:
		return nil, errors.New("message: no chat push publisher")
	}
	return &Service{st: &store{db: o.DB}, user: o.User, push: o.Push}, nil
}

func (s *Service) Send(ctx context.Context, req *mpb.SendRequest) (*base.Empty, error) {
	from, to, content := req.FromUserId, req.ToUserId, req.Content
	if from <= 0 {
		return nil, errno.Unauthorized("login required")
	}
	if to <= 0 {
		return nil, errno.BadParam("to_user_id is required")
	}
	if to == from {
		return nil, errno.BadParam("you cannot message yourself")
	}
	if !validate.NonBlank(content, 1, 500) {
		return nil, errno.BadParam("content must be 1 to 500 characters of valid text")
	}
	r, err := s.user.MGetUsers(ctx, &base.IdsRequest{Ids: []int64{to}})
	if err != nil {
		return nil, err
	}
	if r.Users[to] == nil {
		return nil, errno.NotFound("user not found")
	}
	m := &Message{ConvKey: convKey(from, to), FromUserID: from, ToUserID: to, Content: content}
	if err := s.st.insert(ctx, m, time.Now().UnixMilli()); err != nil {
		return nil, err
	}
	// After the commit, with the message's id and time: a client that sees
	// the event finds the same message through its polls. Not announced is
	// only late: the recipient's next poll brings it.
	err = s.push.Chat(chatpush.Message{ID: m.ID, ToUserID: to, FromUserID: from, Content: content, CreateTime: m.CreateTime})
	if err != nil {
		logx.Ctx(ctx).Warn("chat push: message not announced", zap.Int64("message_id", m.ID), zap.Error(err))
	}
	return &base.Empty{}, nil
}

// Chat: the whole conversation when pre is 0; otherwise only the messages the
// viewer received after pre (or was never sent), since the app keeps its own
// sent messages and would show them twice.
func (s *Service) Chat(ctx context.Context, req *mpb.ChatRequest) (*mpb.ChatResponse, error) {
	viewer, peer, pre := req.ViewerId, req.PeerId, req.PreMsgTime
	if viewer <= 0 {
		return nil, errno.Unauthorized("login required")
	}
	if peer <= 0 {
		return nil, errno.BadParam("to_user_id is required")
	}
	if pre < 0 {
		return nil, errno.BadParam("pre_msg_time must not be negative")
	}
	var ms []Message
	var err error
	if pre == 0 {
		ms, err = s.st.all(ctx, convKey(viewer, peer), viewer)
	} else {
		ms, err = s.st.receivedAfter(ctx, convKey(viewer, peer), viewer, pre)
	}
	if err != nil {
		return nil, err
	}
	out := make([]*mpb.MessageInfo, len(ms))
	for i, m := range ms {
		out[i] = &mpb.MessageInfo{Id: m.ID, FromUserId: m.FromUserID, ToUserId: m.ToUserID, Content: m.Content, CreateTime: m.CreateTime}
	}
	return &mpb.ChatResponse{Messages: out}, nil
}

// Latest returns, for each peer with a conversation, its newest message as
// the friend list shows it.
func (s *Service) Latest(ctx context.Context, req *base.ViewerIdsRequest) (*mpb.LatestResponse, error) {
	viewer, peers := req.ViewerId, req.Ids
	out := make(map[int64]*mpb.Latest, len(peers))
	if viewer <= 0 || len(peers) == 0 {
		return &mpb.LatestResponse{Latest: out}, nil
	}
	keys := make([]string, len(peers))
	for i, p := range peers {
		keys[i] = convKey(viewer, p)
	}
	ms, err := s.st.latest(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.FromUserID == viewer {
			out[m.ToUserID] = &mpb.Latest{Content: m.Content, MsgType: 1}
		} else {
			out[m.FromUserID] = &mpb.Latest{Content: m.Content, MsgType: 0}
		}
	}
	return &mpb.LatestResponse{Latest: out}, nil
}
