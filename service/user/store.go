package user

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// User is the users table, owned by this service alone.
type User struct {
	ID           int64  `gorm:"primaryKey;autoIncrement"`
	Name         string `gorm:"size:128;not null;uniqueIndex:uk_users_name"`
	PasswordHash string `gorm:"size:160;not null" json:"-"`
	Signature    string `gorm:"size:255;not null;default:''"`
	CreatedAt    time.Time
}

var errDuplicate = errors.New("duplicate")

type store struct{ db *gorm.DB }

func (s *store) create(ctx context.Context, u *User) error {
	err := s.db.WithContext(ctx).Create(u).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return errDuplicate
	}
	return err
}

func (s *store) byName(ctx context.Context, name string) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("name = ?", name).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &u, err
}

func (s *store) byIDs(ctx context.Context, ids []int64) (map[int64]User, error) {
	var us []User
	out := make(map[int64]User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Select("id", "name", "signature").Where("id IN ?", ids).Find(&us).Error
	for _, u := range us {
		out[u.ID] = u
	}
	return out, err
}
