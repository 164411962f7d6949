package storage

import (
	"path"
	"strings"

	"github.com/google/uuid"
)

// The object keys of the video pipeline. An upload is stored as its
// original, originals/<uuid>, never served (the gateway's /media/ and the
// bucket's public policy cover videos/ and covers/ only); the media role
// writes the video and cover of the same uuid, videos/<uuid>.mp4 and
// covers/<uuid>.jpg. The names follow from the original's, so a job done
// twice (a redelivery) writes the same two objects again instead of leaving
// orphans.
const OriginalsPrefix = "originals/"

// NewOriginalKey names a new upload's original.
func NewOriginalKey() string { return OriginalsPrefix + uuid.NewString() }

// IsOriginalKey reports whether k names an original (and nothing outside
// originals/).
func IsOriginalKey(k string) bool {
	name := strings.TrimPrefix(k, OriginalsPrefix)
	return strings.HasPrefix(k, OriginalsPrefix) && path.Clean(k) == k && name != "" && !strings.Contains(name, "/")
}

// OutputKeys are the keys of the video and the cover made from original.
func OutputKeys(original string) (video, cover string) {
	name := strings.TrimPrefix(original, OriginalsPrefix)
	return "videos/" + name + ".mp4", "covers/" + name + ".jpg"
}

// Public reports whether clients may fetch k: transcoded videos and covers,
// never an original (an unchecked upload).
func Public(k string) bool {
	return strings.HasPrefix(k, "videos/") || strings.HasPrefix(k, "covers/")
}
