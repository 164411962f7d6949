package rpc

import (
	"errors"
	"testing"

	"github.com/cloudwego/kitex/pkg/kerrors"

	"tiktok/internal/errno"
)

func TestConnectionFailed(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{kerrors.ErrRemoteOrNetwork.WithCause(errors.New("conn closed")), true},
		{kerrors.ErrGetConnection.WithCause(errors.New("connection refused")), true},
		{kerrors.ErrRPCTimeout.WithCause(errors.New("recv wait timeout")), false},         // may still run
		{kerrors.ErrRemoteOrNetwork.WithCause(errors.New("recv wait timeout 3s")), false}, // the mux transport's bound
		{errno.Internal(), false}, // an answer
		{errno.NotFound("video not found"), false},
		{nil, false},
	}
	for _, c := range cases {
		if got := connectionFailed(c.err); got != c.want {
			t.Errorf("connectionFailed(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
