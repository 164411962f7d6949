package publish_test

import (
	"testing"

	"tiktok/internal/testdb"
	"tiktok/service/publish"
)

// The migrations are the tables' only description; the models must fit them
// on both dialects.
func TestSchemaFitsModels(t *testing.T) {
	testdb.CheckSchema(t, "publish", publish.Schema, &publish.Video{}, &publish.AuthorLock{})
}
