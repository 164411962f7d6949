package relation_test

import (
	"testing"

	"tiktok/internal/testdb"
	"tiktok/service/relation"
)

// The migrations are the tables' only description; the models must fit them
// on both dialects.
func TestSchemaFitsModels(t *testing.T) {
	testdb.CheckSchema(t, "relation", relation.Schema, &relation.Follow{}, &relation.FollowCounts{})
}
