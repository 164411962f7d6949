package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
	"tiktok/internal/errno"
	"tiktok/kitex_gen/message"
)

type chatResp struct {
	Status
	MessageList []*compose.Message `json:"message_list"`
}

func (r *chatResp) fillLists() { r.MessageList = orEmpty(r.MessageList) }

// chat needs a token although it only reads: the conversation is the viewer's.
func (g *Gateway) chat(c *gin.Context) (*chatResp, error) {
	viewer, err := g.requireViewer(c)
	if err != nil {
		return nil, err
	}
	to, err := idParam(c, "to_user_id")
	if err != nil {
		return nil, err
	}
	pre, err := intParam(c, "pre_msg_time", false)
	if err != nil {
		return nil, err
	}
	r, err := g.rpc.Message.Chat(ctxOf(c), &message.ChatRequest{ViewerId: viewer, PeerId: to, PreMsgTime: pre})
	if err != nil {
		return nil, err
	}
	resp := &chatResp{MessageList: make([]*compose.Message, 0, len(r.Messages))}
	for _, m := range r.Messages {
		resp.MessageList = append(resp.MessageList, &compose.Message{ID: m.Id, ToUserID: m.ToUserId,
			FromUserID: m.FromUserId, Content: m.Content, CreateTime: m.CreateTime})
	}
	return resp, nil
}

func (g *Gateway) messageAction(c *gin.Context) (*Status, error) {
	viewer, err := g.requireViewer(c)
	if err != nil {
		return nil, err
	}
	to, err := idParam(c, "to_user_id")
	if err != nil {
		return nil, err
	}
	action, err := intParam(c, "action_type", true)
	if err != nil {
		return nil, err
	}
	if action != 1 {
		return nil, errno.BadParam("action_type must be 1 (send)")
	}
	content, ok := param(c, "content")
	if !ok {
		return nil, errno.BadParam("content is required")
	}
	_, err = g.rpc.Message.Send(ctxOf(c), &message.SendRequest{FromUserId: viewer, ToUserId: to, Content: content})
	return &Status{}, err
}
