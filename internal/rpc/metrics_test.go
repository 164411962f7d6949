package rpc

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudwego/kitex/pkg/kerrors"
)

// A documented answer is biz_error; the service's own failures (10009 from
// serverRecover, 10010) and transport failures are error, so the RPC error
// alert sees a failing database.
func TestOutcome(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{kerrors.NewBizStatusError(10003, "not found"), "biz_error"},
		{kerrors.NewBizStatusError(10002, "unauthorized"), "biz_error"},
		{kerrors.NewBizStatusError(10009, "internal error"), "error"},
		{kerrors.NewBizStatusError(10010, "unavailable"), "error"},
		{errors.New("connection refused"), "error"},
	} {
		if got := outcome(ctx, c.err); got != c.want {
			t.Errorf("outcome(%v) = %s, want %s", c.err, got, c.want)
		}
	}
}
