package message

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"tiktok/internal/db"
)

// Conversation serialises sends between two users: its row is locked while a
// message takes the next create_time, so times in a conversation are unique
// and grow in commit order. That is what lets a poller ask for "newer than
// the newest I hold" without ever skipping or repeating a message.
type Conversation struct {
	ConvKey  string `gorm:"primaryKey;size:48"`
	LastTime int64  `gorm:"not null"`
}

// Message is the messages table, owned by this service.
type Message struct {
	ID         int64  `gorm:"primaryKey;autoIncrement"`
	ConvKey    string `gorm:"size:48;not null;uniqueIndex:uk_messages_conv_time,priority:1"`
	FromUserID int64  `gorm:"not null"`
	ToUserID   int64  `gorm:"not null"`
	Content    string `gorm:"type:text;not null"`
	CreateTime int64  `gorm:"not null;uniqueIndex:uk_messages_conv_time,priority:2"`
	// Delivered: the recipient has been sent this message by a chat call.
	Delivered bool `gorm:"not null;default:false"`
}

// convKey names the conversation of a and b, whichever way round.
func convKey(a, b int64) string {
	if a > b {
		a, b = b, a
	}
	return fmt.Sprintf("%d:%d", a, b)
}

type store struct{ db *gorm.DB }

// insert gives m the conversation's next time (now, or one past the last
// message if that is not earlier) and stores it, in one transaction.
func (s *store) insert(ctx context.Context, m *Message, now int64) error {
	return db.Write(ctx, s.db, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "conv_key"}},
			DoUpdates: clause.Set{{Column: clause.Column{Name: "last_time"},
				Value: gorm.Expr("CASE WHEN conversations.last_time >= ? THEN conversations.last_time + 1 ELSE ? END", now, now)}},
		}).Create(&Conversation{ConvKey: m.ConvKey, LastTime: now}).Error
		if err != nil {
			return err
		}
		var c Conversation
		if err := tx.Take(&c, "conv_key = ?", m.ConvKey).Error; err != nil {
			return err
		}
		m.CreateTime = c.LastTime
		return tx.Create(m).Error
	})
}

// all returns the whole conversation, oldest first, and marks what viewer
// received as delivered.
func (s *store) all(ctx context.Context, key string, viewer int64) ([]Message, error) {
	var ms []Message
	err := s.db.WithContext(ctx).Where("conv_key = ?", key).Order("create_time ASC").Find(&ms).Error
	if err != nil {
		return nil, err
	}
	return ms, s.markDelivered(ctx, ms, viewer)
}

// receivedAfter returns the messages viewer received after the time it holds,
// plus any it was never sent. The second part is what makes polling safe when
// the app's cursor is the local clock time of a message it sent itself: a
// message of the peer's stamped just before that time is still delivered.
func (s *store) receivedAfter(ctx context.Context, key string, viewer, after int64) ([]Message, error) {
	var ms []Message
	err := s.db.WithContext(ctx).Where("conv_key = ? AND to_user_id = ? AND (create_time > ? OR delivered = ?)", key, viewer, after, false).
		Order("create_time ASC").Find(&ms).Error
	if err != nil {
		return nil, err
	}
	return ms, s.markDelivered(ctx, ms, viewer)
}

func (s *store) markDelivered(ctx context.Context, ms []Message, viewer int64) error {
	var ids []int64
	for _, m := range ms {
		if m.ToUserID == viewer && !m.Delivered {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Model(&Message{}).Where("id IN ?", ids).Update("delivered", true).Error
}

// latest returns the newest message of each conversation, in one query.
func (s *store) latest(ctx context.Context, keys []string) ([]Message, error) {
	var ms []Message
	if len(keys) == 0 {
		return ms, nil
	}
	err := s.db.WithContext(ctx).Table("messages AS m").Select("m.*").
		Joins("JOIN conversations AS c ON c.conv_key = m.conv_key AND c.last_time = m.create_time").
		Where("c.conv_key IN ?", keys).Find(&ms).Error
	return ms, err
}
