package publish

import (
	"context"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/publish"
)

// Handler is the Kitex face of Service.
type Handler struct{ S *Service }

func (h *Handler) CreateVideo(ctx context.Context, req *publish.CreateVideoRequest) (*publish.CreateVideoResponse, error) {
	v, err := h.S.Create(ctx, req.AuthorId, req.Title, req.VideoKey)
	if err != nil {
		return nil, err
	}
	return &publish.CreateVideoResponse{Video: v}, nil
}

func (h *Handler) ListByAuthor(ctx context.Context, req *publish.ListByAuthorRequest) (*publish.VideosResponse, error) {
	vs, err := h.S.ListByAuthor(ctx, req.AuthorId)
	if err != nil {
		return nil, err
	}
	return &publish.VideosResponse{Videos: vs}, nil
}

func (h *Handler) ListBefore(ctx context.Context, req *publish.ListBeforeRequest) (*publish.VideosResponse, error) {
	vs, err := h.S.ListBefore(ctx, req.BeforeMs, int(req.Limit))
	if err != nil {
		return nil, err
	}
	resp := &publish.VideosResponse{Videos: vs}
	if req.WithWorkCounts && len(vs) > 0 {
		authors := make([]int64, 0, len(vs))
		seen := make(map[int64]bool, len(vs))
		for _, v := range vs {
			if !seen[v.AuthorId] {
				seen[v.AuthorId] = true
				authors = append(authors, v.AuthorId)
			}
		}
		if resp.WorkCounts, err = h.S.WorkCounts(ctx, authors); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func (h *Handler) MGetVideos(ctx context.Context, req *base.IdsRequest) (*publish.VideosResponse, error) {
	vs, err := h.S.MGet(ctx, req.Ids)
	if err != nil {
		return nil, err
	}
	return &publish.VideosResponse{Videos: vs}, nil
}

func (h *Handler) WorkCounts(ctx context.Context, req *base.IdsRequest) (*base.CountsResponse, error) {
	m, err := h.S.WorkCounts(ctx, req.Ids)
	if err != nil {
		return nil, err
	}
	return &base.CountsResponse{Counts: m}, nil
}
