package relation

import (
	"context"
	"testing"

	"tiktok/internal/testdb"
	"tiktok/kitex_gen/user/userservice"
)

// noUsers stands in for the user client where no user is looked up.
type noUsers struct{ userservice.Client }

// A required dependency missing is an error at construction, not a nil
// dereference at the first call.
func TestNewRequiresItsDependencies(t *testing.T) {
	ctx := context.Background()
	gdb := testdb.Open(t, "relation", Schema)
	if _, err := New(ctx, Options{DB: gdb, User: noUsers{}}); err != nil {
		t.Fatalf("all given: %v", err)
	}
	if _, err := New(ctx, Options{User: noUsers{}}); err == nil {
		t.Error("built without a database")
	}
	if _, err := New(ctx, Options{DB: gdb}); err == nil {
		t.Error("built without a user client")
	}
}
