package comment

import (
	"context"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/comment"
)

// Handler is the Kitex face of Service.
type Handler struct{ S *Service }

func (h *Handler) Create(ctx context.Context, req *comment.CreateRequest) (*comment.CreateResponse, error) {
	c, err := h.S.Create(ctx, req.UserId, req.VideoId, req.Content)
	if err != nil {
		return nil, err
	}
	return &comment.CreateResponse{Comment: c}, nil
}

func (h *Handler) Delete(ctx context.Context, req *comment.DeleteRequest) (*base.Empty, error) {
	if err := h.S.Delete(ctx, req.UserId, req.VideoId, req.CommentId); err != nil {
		return nil, err
	}
	return &base.Empty{}, nil
}

func (h *Handler) List(ctx context.Context, req *comment.ListRequest) (*comment.ListResponse, error) {
	cs, err := h.S.List(ctx, req.VideoId)
	if err != nil {
		return nil, err
	}
	return &comment.ListResponse{Comments: cs}, nil
}

func (h *Handler) Counts(ctx context.Context, req *base.IdsRequest) (*base.CountsResponse, error) {
	m, err := h.S.Counts(ctx, req.Ids)
	if err != nil {
		return nil, err
	}
	return &base.CountsResponse{Counts: m}, nil
}
