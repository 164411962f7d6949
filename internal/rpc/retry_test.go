package rpc

import (
	"errors"
	"testing"

	"github.com/cloudwego/kitex/pkg/kerrors"

	"tiktok/internal/errno"
	"tiktok/kitex_gen/comment/commentservice"
	"tiktok/kitex_gen/favorite/favoriteservice"
	"tiktok/kitex_gen/message/messageservice"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/user/userservice"
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

// Every method is retried but those that must run once.
func TestRetryCoversAllButOnce(t *testing.T) {
	for svc, methods := range map[string][]string{
		Comment:  methodNames(commentservice.NewServiceInfo().Methods),
		Message:  methodNames(messageservice.NewServiceInfo().Methods),
		Publish:  methodNames(publishservice.NewServiceInfo().Methods),
		User:     methodNames(userservice.NewServiceInfo().Methods),
		Favorite: methodNames(favoriteservice.NewServiceInfo().Methods),
	} {
		for m := range once[svc] {
			found := false
			for _, n := range methods {
				found = found || n == m
			}
			if !found {
				t.Errorf("once lists %s.%s, which the IDL does not have", svc, m)
			}
		}
	}
	if !once[Comment]["Create"] || !once[Message]["Send"] || once[Favorite]["Action"] {
		t.Error("comment creation and message sending must run once; like/unlike is idempotent")
	}
}

func methodNames[M any](m map[string]M) []string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	return n
}
