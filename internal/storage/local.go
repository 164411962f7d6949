package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"go.uber.org/zap"

	"tiktok/internal/logx"
)

// Local keeps objects as files under Dir; the gateway serves them under baseURL.
type Local struct {
	Dir     string
	baseURL string
}

// NewLocal stores under dir, after removing the leftovers of Puts that never
// finished (a process killed during an upload): all of them when no other
// process uses dir, else those untouched for orphanAge.
func NewLocal(dir, baseURL string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l := &Local{Dir: dir, baseURL: baseURL}
	lock, alone, share := lockDir(dir)
	n, err := l.sweep(alone, time.Now().Add(-orphanAge))
	share()
	if lock != nil {
		// The shared lock lasts as long as this Local: it tells a process
		// starting later that this one may be writing.
		runtime.AddCleanup(l, func(f *os.File) { f.Close() }, lock)
	}
	if err != nil {
		return nil, fmt.Errorf("remove leftover uploads in %s: %w", dir, err)
	}
	if n > 0 {
		logx.L().Info("removed leftover uploads", zap.String("dir", dir), zap.Int("files", n))
	}
	return l, nil
}

// tempPrefix names Put's temporary files, beside their target.
const tempPrefix = ".upload-"

// orphanAge: a temporary file untouched this long is an orphan whoever uses
// the folder. A Put writes as its upload's body arrives, and the gateway
// cuts a body that stalls (upload.stall_timeout, seconds), so no live Put
// leaves its file alone for an hour.
const orphanAge = time.Hour

// sweep removes Put's temporary files under l.Dir: every one when all is
// set, else those last written before cutoff.
func (l *Local) sweep(all bool, cutoff time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(l.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		if !all {
			info, err := d.Info()
			if err != nil || info.ModTime().After(cutoff) {
				return nil
			}
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	return n, err
}

// path maps a key to a file, refusing keys that would escape Dir.
func (l *Local) path(key string) (string, error) {
	clean := path.Clean("/" + key)
	if clean == "/" || strings.Contains(key, "\\") || strings.Contains(key, "\x00") {
		return "", fmt.Errorf("bad key %q", key)
	}
	return filepath.Join(l.Dir, filepath.FromSlash(clean)), nil
}

func (l *Local) Put(_ context.Context, key string, r io.Reader, max int64, _ string) (int64, error) {
	p, err := l.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return 0, err
	}
	// Write beside the target and rename, so a reader never sees half a file.
	tmp, err := os.CreateTemp(filepath.Dir(p), tempPrefix+"*")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, LimitReader(r, max))
	if err == nil {
		err = tmp.Chmod(0o644) // CreateTemp makes 0600; media is public
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return n, err
	}
	return n, nil
}

func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (l *Local) URL(key string) string { return l.baseURL + key }

func (l *Local) Source(_ context.Context, key string) (string, error) { return l.path(key) }

// ServeHTTP serves the object named by the request path (relative to the
// mount point) with Range support, via http.ServeContent.
func (l *Local) Serve(w http.ResponseWriter, r *http.Request, key string) {
	p, err := l.path(key)
	if err != nil || strings.HasPrefix(path.Base(key), ".") {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(p) {
	case ".mp4":
		w.Header().Set("Content-Type", "video/mp4")
	case ".mov":
		w.Header().Set("Content-Type", "video/quicktime")
	case ".webm":
		w.Header().Set("Content-Type", "video/webm")
	case ".jpg":
		w.Header().Set("Content-Type", "image/jpeg")
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
}
