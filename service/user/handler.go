package user

import (
	"context"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/user"
)

// Handler is the Kitex face of Service.
type Handler struct{ S *Service }

func (h *Handler) Register(ctx context.Context, req *user.RegisterRequest) (*user.AuthResponse, error) {
	id, err := h.S.Register(ctx, req.Username, req.Password)
	if err != nil {
		return nil, err
	}
	return &user.AuthResponse{UserId: id}, nil
}

func (h *Handler) Login(ctx context.Context, req *user.LoginRequest) (*user.AuthResponse, error) {
	id, err := h.S.Login(ctx, req.Username, req.Password)
	if err != nil {
		return nil, err
	}
	return &user.AuthResponse{UserId: id}, nil
}

func (h *Handler) MGetUsers(ctx context.Context, req *base.IdsRequest) (*user.UsersResponse, error) {
	m, err := h.S.MGet(ctx, req.Ids)
	if err != nil {
		return nil, err
	}
	return &user.UsersResponse{Users: m}, nil
}
