package relation

import (
	"context"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/relation"
)

// Handler is the Kitex face of Service.
type Handler struct{ S *Service }

func (h *Handler) Action(ctx context.Context, req *relation.ActionRequest) (*base.Empty, error) {
	if err := h.S.Action(ctx, req.UserId, req.ToUserId, req.ActionType); err != nil {
		return nil, err
	}
	return &base.Empty{}, nil
}

func ids(v []int64, err error) (*base.IdsResponse, error) {
	if err != nil {
		return nil, err
	}
	return &base.IdsResponse{Ids: v}, nil
}

func (h *Handler) FollowList(ctx context.Context, req *relation.ListRequest) (*base.IdsResponse, error) {
	return ids(h.S.FollowList(ctx, req.UserId))
}

func (h *Handler) FollowerList(ctx context.Context, req *relation.ListRequest) (*base.IdsResponse, error) {
	return ids(h.S.FollowerList(ctx, req.UserId))
}

func (h *Handler) FriendList(ctx context.Context, req *relation.ListRequest) (*base.IdsResponse, error) {
	return ids(h.S.FriendList(ctx, req.UserId))
}

func (h *Handler) Stats(ctx context.Context, req *base.ViewerIdsRequest) (*relation.StatsResponse, error) {
	return h.S.Stats(ctx, req.ViewerId, req.Ids)
}
