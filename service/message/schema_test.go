package message_test

import (
	"testing"

	"tiktok/internal/testdb"
	"tiktok/service/message"
)

// The migrations are the tables' only description; the models must fit them
// on both dialects.
func TestSchemaFitsModels(t *testing.T) {
	testdb.CheckSchema(t, "message", message.Schema, &message.Conversation{}, &message.Message{})
}
