package gateway

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
	"tiktok/internal/errno"
)

// serve runs h through handle and returns the reply's body.
func serve[R any, P interface {
	*R
	response
}](t *testing.T, h func(*gin.Context) (P, error)) string {
	t.Helper()
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("GET", "/x", nil)
	handle(h)(c)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("HTTP %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	return strings.TrimSuffix(w.Body.String(), "\n")
}

func TestHandleReplies(t *testing.T) {
	v := &compose.Video{ID: 1, Author: &compose.User{ID: 2}, Title: "<a&b>"}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"success, user text kept as is",
			serve(t, func(*gin.Context) (*videosResp, error) { return &videosResp{VideoList: []*compose.Video{v}}, nil }),
			`{"status_code":0,"status_msg":"success","video_list":[{"id":1,"author":{"id":2,"name":"","follow_count":0,` +
				`"follower_count":0,"is_follow":false,"avatar":"","background_image":"","signature":"","total_favorited":0,` +
				`"work_count":0,"favorite_count":0},"play_url":"","cover_url":"","favorite_count":0,"comment_count":0,` +
				`"is_favorite":false,"title":"<a&b>"}]}`},
		{"success with a nil list",
			serve(t, func(*gin.Context) (*usersResp, error) { return &usersResp{}, nil }),
			`{"status_code":0,"status_msg":"success","user_list":[]}`},
		{"error: what the handler filled is dropped, lists are []",
			serve(t, func(*gin.Context) (*feedResp, error) {
				return &feedResp{VideoList: []*compose.Video{v}, NextTime: 5}, errno.NotFound("video not found")
			}),
			`{"status_code":10003,"status_msg":"video not found","video_list":[],"next_time":0}`},
		{"error without a response, internals hidden",
			serve(t, func(*gin.Context) (*userResp, error) { return nil, errors.New("sql: table users") }),
			`{"status_code":10009,"status_msg":"internal error","user":null}`},
		{"status only",
			serve(t, func(*gin.Context) (*Status, error) { return &Status{}, nil }),
			`{"status_code":0,"status_msg":"success"}`},
		{"friends error",
			serve(t, func(*gin.Context) (*friendsResp, error) { return nil, errno.BadParam("user_id is required") }),
			`{"status_code":10001,"status_msg":"user_id is required","user_list":[]}`},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}
