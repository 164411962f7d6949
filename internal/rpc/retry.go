package rpc

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/retry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/serviceinfo"
)

// retryPolicies retries once (the balancer picks again, so most often
// another instance) the calls of info's methods but those in once (the
// caller's list of those that must not run twice), that is of the
// other methods (reads, and the idempotent like/unlike and follow/unfollow)
// that failed on the connection: an instance leaving discovery has its
// multiplexed connection closed by the caller with calls in flight on it
// (docs/DEPLOY.md, rolling restarts). Never on a timeout: the call may
// still be running. Each attempt has the bound rpc.timeout; the retry is not
// cut short by Kitex's MaxDurationMS, which made media serving fail on the
// pods (context canceled) when set; bound is kept for that work.
func retryPolicies(info *serviceinfo.ServiceInfo, once map[string]bool, bound time.Duration) client.Option {
	fp := retry.NewFailurePolicyWithResultRetry(&retry.ShouldResultRetry{
		NotRetryForTimeout: true,
		ErrorRetryWithCtx:  func(_ context.Context, err error, _ rpcinfo.RPCInfo) bool { return connectionFailed(err) },
	})
	fp.WithMaxRetryTimes(1)
	_ = bound
	p := map[string]retry.Policy{}
	for m := range info.Methods {
		if !once[m] {
			p[m] = retry.BuildFailurePolicy(fp)
		}
	}
	return client.WithRetryMethodPolicies(p)
}

// connectionFailed: the call failed on its connection (closed, reset,
// refused), not by a timeout nor by an answer of the service.
func connectionFailed(err error) bool {
	// The call's bound (callTimeout) is enforced by the transport's read,
	// whose expiry surfaces as a network error "recv wait timeout", not as
	// kerrors.ErrRPCTimeout: told apart by its text.
	if err == nil || kerrors.IsTimeoutError(err) || strings.Contains(err.Error(), "timeout") {
		return false
	}
	if _, biz := kerrors.FromBizStatusError(err); biz {
		return false
	}
	return errors.Is(err, kerrors.ErrRemoteOrNetwork) || errors.Is(err, kerrors.ErrGetConnection)
}
