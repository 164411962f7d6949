package user_test

import (
	"testing"

	"tiktok/internal/testdb"
	"tiktok/service/user"
)

// The migrations are the tables' only description; the models must fit them
// on both dialects.
func TestSchemaFitsModels(t *testing.T) {
	testdb.CheckSchema(t, "user", user.Schema, &user.User{})
}
