// Package errno is the API's error-code table. Services return these codes as
// Kitex business errors and the gateway copies them into status_code, so the
// same failure always reaches the client with the same code.
package errno

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudwego/kitex/pkg/kerrors"
)

// Codes; docs/ERRORS.md documents each one. Never renumber: clients rely on them.
const (
	CodeOK                 int32 = 0
	CodeBadParam           int32 = 10001
	CodeUnauthorized       int32 = 10002
	CodeNotFound           int32 = 10003
	CodeAlreadyExists      int32 = 10004
	CodeForbidden          int32 = 10005
	CodeTooLarge           int32 = 10006
	CodeUnsupportedMedia   int32 = 10007
	CodeRateLimited        int32 = 10008
	CodeInternal           int32 = 10009
	CodeServiceUnavailable int32 = 10010
)

// Error is a failure with a code from the table and a message safe to show a
// user. It is a Kitex business error (kerrors.BizStatusErrorIface), so a
// service returns it and the caller receives the same code and message.
type Error struct {
	Code int32
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Msg) }

// BizStatusCode, BizMessage and BizExtra make Error a Kitex business error.
func (e *Error) BizStatusCode() int32        { return e.Code }
func (e *Error) BizMessage() string          { return e.Msg }
func (e *Error) BizExtra() map[string]string { return nil }

var _ kerrors.BizStatusErrorIface = (*Error)(nil)

// New returns an *Error with the code and a formatted message.
func New(code int32, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Common errors.
func BadParam(format string, args ...any) error { return New(CodeBadParam, format, args...) }
func NotFound(format string, args ...any) error { return New(CodeNotFound, format, args...) }
func Forbidden(format string, args ...any) error {
	return New(CodeForbidden, format, args...)
}
func Internal() error { return New(CodeInternal, "internal error") }

// Unauthorized is the single reply for a missing, forged or expired token.
func Unauthorized(msg string) error { return New(CodeUnauthorized, "%s", msg) }

// From maps any error to a code and a client-safe message. Business errors keep
// theirs; RPC transport failures (connection refused, timeout, no instance)
// become "service unavailable"; everything else is an opaque internal error,
// so SQL text or file paths never reach the client.
func From(err error) (int32, string) {
	if err == nil {
		return CodeOK, "success"
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code, e.Msg
	}
	if biz, ok := kerrors.FromBizStatusError(err); ok {
		return biz.BizStatusCode(), biz.BizMessage()
	}
	if IsUnavailable(err) {
		return CodeServiceUnavailable, "service unavailable, please retry"
	}
	return CodeInternal, "internal error"
}

// IsUnavailable reports whether err means the callee could not be reached or
// did not answer in time.
func IsUnavailable(err error) bool {
	for _, k := range []error{kerrors.ErrGetConnection, kerrors.ErrRPCTimeout, kerrors.ErrNoMoreInstance,
		kerrors.ErrServiceDiscovery, kerrors.ErrCircuitBreak, kerrors.ErrRemoteOrNetwork,
		kerrors.ErrOverlimit, kerrors.ErrLoadbalance, context.DeadlineExceeded} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
