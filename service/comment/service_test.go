package comment_test

import (
	"context"
	"testing"

	"tiktok/internal/testdb"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/service/comment"
)

// noVideos stands in for the publish client where no video is looked up.
type noVideos struct{ publishservice.Client }

// A required dependency missing is an error at construction, not a nil
// dereference at the first call.
func TestNewRequiresItsDependencies(t *testing.T) {
	ctx := context.Background()
	gdb := testdb.Open(t, "comment", comment.Schema)
	if _, err := comment.New(ctx, comment.Options{DB: gdb, Publish: noVideos{}}); err != nil {
		t.Fatalf("all given: %v", err)
	}
	if _, err := comment.New(ctx, comment.Options{Publish: noVideos{}}); err == nil {
		t.Error("built without a database")
	}
	if _, err := comment.New(ctx, comment.Options{DB: gdb}); err == nil {
		t.Error("built without a publish client")
	}
}
