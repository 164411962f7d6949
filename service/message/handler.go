package message

import (
	"context"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/message"
)

// Handler is the Kitex face of Service.
type Handler struct{ S *Service }

func (h *Handler) Send(ctx context.Context, req *message.SendRequest) (*base.Empty, error) {
	if err := h.S.Send(ctx, req.FromUserId, req.ToUserId, req.Content); err != nil {
		return nil, err
	}
	return &base.Empty{}, nil
}

func (h *Handler) Chat(ctx context.Context, req *message.ChatRequest) (*message.ChatResponse, error) {
	ms, err := h.S.Chat(ctx, req.ViewerId, req.PeerId, req.PreMsgTime)
	if err != nil {
		return nil, err
	}
	return &message.ChatResponse{Messages: ms}, nil
}

func (h *Handler) Latest(ctx context.Context, req *base.ViewerIdsRequest) (*message.LatestResponse, error) {
	m, err := h.S.Latest(ctx, req.ViewerId, req.Ids)
	if err != nil {
		return nil, err
	}
	return &message.LatestResponse{Latest: m}, nil
}
