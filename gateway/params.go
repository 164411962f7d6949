package gateway

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"tiktok/internal/errno"
)

// param reads a parameter the way the app sends it: the query string first,
// then an urlencoded or multipart body (for POST).
func param(c *gin.Context, key string) (string, bool) {
	if v, ok := c.GetQuery(key); ok {
		return v, true
	}
	if c.Request.Method == "POST" {
		return c.GetPostForm(key)
	}
	return "", false
}

// given returns a parameter's value, trimmed, and whether it came with one:
// a parameter sent empty or blank counts as missing.
func given(c *gin.Context, key string) (string, bool) {
	s, ok := param(c, key)
	s = strings.TrimSpace(s)
	return s, ok && s != ""
}

// intParam reads an integer parameter. Missing (see given): 0 when optional,
// an error when required. Present but not an integer: always an error.
func intParam(c *gin.Context, key string, required bool) (int64, error) {
	s, ok := given(c, key)
	if !ok {
		if required {
			return 0, errno.BadParam("%s is required", key)
		}
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errno.BadParam("%s must be an integer", key)
	}
	return n, nil
}

// idParam is a required positive id.
func idParam(c *gin.Context, key string) (int64, error) {
	n, err := intParam(c, key, true)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, errno.BadParam("%s must be a positive integer", key)
	}
	return n, nil
}

// actionParam is a required action_type of 1 or 2.
func actionParam(c *gin.Context) (int32, error) {
	n, err := intParam(c, "action_type", true)
	if err != nil {
		return 0, err
	}
	if n != 1 && n != 2 {
		return 0, errno.BadParam("action_type must be 1 or 2")
	}
	return int32(n), nil
}

// tokenOf returns the token from the token parameter or an Authorization
// Bearer header ("" when neither is there).
func tokenOf(c *gin.Context) string {
	if t, ok := param(c, "token"); ok && t != "" {
		return t
	}
	return outerToken(c)
}

// outerToken is tokenOf without reading the body: the query string or the
// Authorization header. The upload uses it, as it streams the body itself.
func outerToken(c *gin.Context) string {
	if t := c.Query("token"); t != "" {
		return t
	}
	if h := c.GetHeader("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
