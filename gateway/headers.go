package gateway

import (
	"io/fs"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// securityHeaders sets the browser's defences on every reply, page, file,
// media and API alike (one policy: the API's JSON never needs more than the
// page does):
//   - Content-Security-Policy (see contentSecurityPolicy): only our own
//     scripts run, so an injected one would not;
//   - X-Content-Type-Options: nosniff: a reply is only what its
//     Content-Type says (no JSON or upload run as a script or page);
//   - Referrer-Policy: no-referrer: no URL of ours leaks to media hosts;
//   - X-Frame-Options: DENY, frame-ancestors' equivalent for older
//     browsers: no page may frame ours (clickjacking).
func (g *Gateway) securityHeaders() gin.HandlerFunc {
	csp := contentSecurityPolicy(g.mediaOrigins()...)
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		c.Next()
	}
}

// contentSecurityPolicy is the web client's policy: everything from this
// origin only, no inline script or style, no plugins, no <base>, no framing;
// images and video also from the media origins (avatars and local media at
// http.public_url, MinIO's storage.minio.public_url), images also as data:
// (the page's empty favicon).
func contentSecurityPolicy(mediaOrigins ...string) string {
	media := strings.Join(append([]string{"'self'"}, mediaOrigins...), " ")
	return "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; " +
		"frame-ancestors 'none'; form-action 'self'; connect-src 'self'; " +
		"img-src " + media + " data:; media-src " + media
}

// mediaOrigins are the origins of the absolute URLs the API hands out for
// images and video: the gateway's public base (avatars, banners, local
// media) and the store's (MinIO in production). Each appears once.
func (g *Gateway) mediaOrigins() []string {
	bases := []string{g.cfg.PublicBase()}
	if g.store != nil {
		bases = append(bases, g.store.URL(""))
	}
	var out []string
	for _, b := range bases {
		if o := origin(b); o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// origin is scheme://host[:port] of an absolute http(s) URL, "" otherwise
// (nothing unparsed may reach the policy).
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.ContainsAny(u.Host, " ;,'\"") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// filesOnly serves the files of an fs.FS and nothing for its directories, so
// /app/ and /app/views/ answer 404 instead of listing the client's files.
type filesOnly struct{ fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return file, nil
}
