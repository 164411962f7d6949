package storage

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.uber.org/zap"

	"tiktok/internal/logx"
)

// MinIO keeps objects in a bucket that clients read directly (anonymous GET,
// Range included); the services read through presigned URLs.
type MinIO struct {
	c       *minio.Client
	bucket  string
	baseURL string
}

// partSize bounds the memory one streaming upload holds: minio-go buffers a
// part at a time.
const partSize = 8 << 20

// NewMinIO connects and creates the bucket, readable by anyone, when missing.
func NewMinIO(ctx context.Context, endpoint, accessKey, secretKey, bucket string, useSSL bool, publicURL string) (*MinIO, error) {
	c, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(accessKey, secretKey, ""), Secure: useSSL})
	if err != nil {
		return nil, err
	}
	ok, err := c.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("minio %s: %w", endpoint, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			if exists, e2 := c.BucketExists(ctx, bucket); e2 != nil || !exists {
				return nil, fmt.Errorf("create bucket %s: %w", bucket, err)
			}
		}
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},`+
		`"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/videos/*","arn:aws:s3:::%s/covers/*"]}]}`, bucket, bucket)
	if err := c.SetBucketPolicy(ctx, bucket, policy); err != nil {
		return nil, fmt.Errorf("bucket policy: %w", err)
	}
	if publicURL == "" {
		scheme := "http"
		if useSSL {
			scheme = "https"
		}
		publicURL = scheme + "://" + endpoint + "/" + bucket
	}
	return &MinIO{c: c, bucket: bucket, baseURL: strings.TrimRight(publicURL, "/") + "/"}, nil
}

func (m *MinIO) Put(ctx context.Context, key string, r io.Reader, max int64, contentType string) (int64, error) {
	lr := &countingReader{r: LimitReader(r, max)}
	_, err := m.c.PutObject(ctx, m.bucket, key, lr, -1, minio.PutObjectOptions{ContentType: contentType, PartSize: partSize})
	if err != nil {
		// A failed multipart upload is aborted by minio-go; make sure no
		// object is left under key either way.
		_ = m.Delete(context.WithoutCancel(ctx), key)
		if lr.err != nil {
			return lr.n, lr.err
		}
		return lr.n, err
	}
	return lr.n, nil
}

func (m *MinIO) Delete(ctx context.Context, key string) error {
	return m.c.RemoveObject(ctx, m.bucket, key, minio.RemoveObjectOptions{})
}

func (m *MinIO) URL(key string) string { return m.baseURL + key }

// Serve streams object key to w, Range requests included, for a deployment
// whose media URLs are the gateway's /media/ (storage.minio.public_url): its
// object storage then need not be reachable from outside (deploy/helm).
func (m *MinIO) Serve(w http.ResponseWriter, r *http.Request, key string) {
	var obj *minio.Object
	var st minio.ObjectInfo
	var err error
	// Not cut by the request's context: on the pods it was seen canceled
	// under load while its client still waited ("context canceled" on the
	// stat, a 503). A client that does leave ends the stream anyway: the
	// write fails, and Close stops the object's reads. The stat is bounded.
	ctx := context.WithoutCancel(r.Context())
	// A second try after a short pause: a passing failure to reach the
	// store (a name lookup, a connection reset) is not the reader's fault.
	for try := 0; try < 2; try++ {
		if try > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		if r.Method == http.MethodHead {
			// A HEAD costs a HEAD: the object's first GET would start
			// sending the whole video only to be cut off.
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			st, err = m.c.StatObject(sctx, m.bucket, key, minio.StatObjectOptions{})
			cancel()
		} else if obj, err = m.c.GetObject(ctx, m.bucket, key, minio.GetObjectOptions{}); err == nil {
			if st, err = obj.Stat(); err != nil {
				obj.Close()
				obj = nil
			}
		}
		if err == nil || minio.ToErrorResponse(err).Code == "NoSuchKey" {
			break
		}
	}
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			http.NotFound(w, r)
			return
		}
		logx.Ctx(r.Context()).Warn("media from storage", zap.String("key", key), zap.String("method", r.Method), zap.Error(err))
		http.Error(w, "storage unavailable", http.StatusServiceUnavailable)
		return
	}
	if st.ContentType != "" {
		w.Header().Set("Content-Type", st.ContentType)
	}
	var body io.ReadSeeker = io.NewSectionReader(noBody{}, 0, st.Size) // HEAD: never read
	if obj != nil {
		defer obj.Close()
		body = obj
	}
	http.ServeContent(w, r, "", st.LastModified, body)
}

// noBody stands for the content of a HEAD reply, which has none.
type noBody struct{}

func (noBody) ReadAt([]byte, int64) (int, error) { return 0, io.ErrUnexpectedEOF }

func (m *MinIO) Source(ctx context.Context, key string) (string, error) {
	u, err := m.c.PresignedGetObject(ctx, m.bucket, key, time.Hour, url.Values{})
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// SweepIncomplete aborts the multipart uploads begun before cutoff and never
// completed: a process killed during an upload leaves its parts in the
// bucket, invisible and never read. An upload still in progress elsewhere
// began after cutoff (the caller's bound on an upload's duration), so it is
// left alone. It returns how many it aborted.
func (m *MinIO) SweepIncomplete(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	for u := range m.c.ListIncompleteUploads(ctx, m.bucket, "", true) {
		if u.Err != nil {
			return n, u.Err
		}
		if u.Initiated.IsZero() || u.Initiated.After(cutoff) {
			continue
		}
		if err := m.c.RemoveIncompleteUpload(ctx, m.bucket, u.Key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Count returns how many objects are stored under prefix (tests use it to
// prove a failed publish leaves nothing).
func (m *MinIO) Count(ctx context.Context, prefix string) (int, error) {
	n := 0
	for o := range m.c.ListObjects(ctx, m.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return n, o.Err
		}
		n++
	}
	return n, nil
}

// countingReader remembers the reader's own error (ErrTooLarge), which the
// client would otherwise wrap.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// Clear removes every object of the bucket (tests reset a deployment with it).
func (m *MinIO) Clear(ctx context.Context) error {
	objs := m.c.ListObjects(ctx, m.bucket, minio.ListObjectsOptions{Recursive: true})
	for o := range objs {
		if o.Err != nil {
			return o.Err
		}
		if err := m.c.RemoveObject(ctx, m.bucket, o.Key, minio.RemoveObjectOptions{}); err != nil {
			return err
		}
	}
	return nil
}
