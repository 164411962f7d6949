package comment_test

import (
	"testing"

	"tiktok/internal/testdb"
	"tiktok/service/comment"
)

// The migrations are the tables' only description; the models must fit them
// on both dialects.
func TestSchemaFitsModels(t *testing.T) {
	testdb.CheckSchema(t, "comment", comment.Schema, &comment.Comment{}, &comment.VideoComments{})
}
