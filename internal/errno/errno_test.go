package errno

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cloudwego/kitex/pkg/kerrors"
)

func TestNewIsABusinessError(t *testing.T) {
	err := New(CodeNotFound, "video %d not found", 7)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNotFound || e.Msg != "video 7 not found" {
		t.Fatalf("New: %#v", err)
	}
	// Kitex recognises it as a business status, so it crosses RPC as one.
	biz, ok := kerrors.FromBizStatusError(fmt.Errorf("wrapped: %w", err))
	if !ok || biz.BizStatusCode() != CodeNotFound || biz.BizMessage() != "video 7 not found" {
		t.Fatalf("not a business error: %v", biz)
	}
}

func TestFrom(t *testing.T) {
	cases := []struct {
		err  error
		code int32
		msg  string
	}{
		{nil, CodeOK, "success"},
		{BadParam("title must be 1 to 100 characters"), CodeBadParam, "title must be 1 to 100 characters"},
		// What a caller receives from a service: Kitex's own business error type.
		{kerrors.NewBizStatusError(CodeForbidden, "no"), CodeForbidden, "no"},
		{fmt.Errorf("call: %w", kerrors.ErrRPCTimeout), CodeServiceUnavailable, "service unavailable, please retry"},
		{context.DeadlineExceeded, CodeServiceUnavailable, "service unavailable, please retry"},
		// Anything else is opaque: no SQL text or paths reach the client.
		{errors.New("Error 1146: Table 'x.y' doesn't exist"), CodeInternal, "internal error"},
	}
	for _, c := range cases {
		if code, msg := From(c.err); code != c.code || msg != c.msg {
			t.Errorf("From(%v) = %d %q, want %d %q", c.err, code, msg, c.code, c.msg)
		}
	}
	if code, _ := From(Unauthorized("login required")); code != CodeUnauthorized {
		t.Errorf("Unauthorized: %d", code)
	}
}
