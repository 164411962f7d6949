// Package web holds the browser client, embedded in the binary so that the
// gateway serves it at / with no build step and no extra files.
package web

import "embed"

// Files are index.html and static/: plain HTML, CSS and JavaScript modules.
//
//go:embed index.html static
var Files embed.FS
