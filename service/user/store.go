package user

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"gorm.io/gorm"

	"tiktok/internal/logx"
	"tiktok/internal/validate"
)

// User is the users table, owned by this service alone.
type User struct {
	ID   int64  `gorm:"primaryKey;autoIncrement"`
	Name string `gorm:"size:128;not null;uniqueIndex:uk_users_name"`
	// NameKey is validate.NameFold(Name), unique: names that differ only by
	// case, width, compatibility form, spacing or invisible characters are
	// one account. BeforeCreate sets it; NULL only on a row stored before
	// the key whose key an older row holds (see keyNames). Migration 0002
	// adds the column.
	NameKey      *string `json:"-"`
	PasswordHash string  `gorm:"size:160;not null" json:"-"`
	Signature    string  `gorm:"size:255;not null;default:''"`
	CreatedAt    time.Time
}

var errDuplicate = errors.New("duplicate")

// BeforeCreate keys every new row, whichever way it is inserted (Register,
// SeedUsers' batches).
func (u *User) BeforeCreate(*gorm.DB) error {
	if u.NameKey == nil {
		if k := validate.NameFold(u.Name); k != "" {
			u.NameKey = &k
		}
	}
	return nil
}

type store struct{ db *gorm.DB }

func (s *store) create(ctx context.Context, u *User) error {
	err := s.db.WithContext(ctx).Create(u).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return errDuplicate
	}
	return err
}

// byName finds the account a login name designates: the one holding its key,
// so `Racer1` signs in to `racer1`; but a row without a key, named exactly
// that, first (an old look-alike, reachable no other way, see keyNames).
func (s *store) byName(ctx context.Context, name string) (*User, error) {
	var us []User
	err := s.db.WithContext(ctx).Where("name_key = ? OR (name = ? AND name_key IS NULL)", validate.NameFold(name), name).
		Limit(2).Find(&us).Error
	if err != nil || len(us) == 0 {
		return nil, err
	}
	for _, u := range us {
		if u.NameKey == nil {
			return &u, nil
		}
	}
	return &us[0], nil
}

// keyNames gives a key to the rows stored without one (before migration
// 0002, or by an older instance during an upgrade), oldest first, so the
// oldest of several look-alikes keeps the name. A later look-alike stays
// without a key, logged: it still signs in by its exact name (byName), and
// blocks no one. Every start runs it; after the first, it reads only those.
func (s *store) keyNames(ctx context.Context) error {
	var rows []User
	return s.db.WithContext(ctx).Select("id", "name").Where("name_key IS NULL").
		FindInBatches(&rows, 500, func(tx *gorm.DB, _ int) error {
			for _, u := range rows {
				k := validate.NameFold(u.Name)
				if k == "" || utf8.RuneCountInString(k) > validate.NameKeyMax {
					logx.L().Warn("user name has no key", zap.Int64("user_id", u.ID))
					continue
				}
				err := s.db.WithContext(ctx).Model(&User{}).Where("id = ? AND name_key IS NULL", u.ID).
					Update("name_key", k).Error
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					logx.L().Warn("user name looks like an older user's; it keeps no key and signs in by its exact name",
						zap.Int64("user_id", u.ID))
					continue
				}
				if err != nil {
					return err
				}
			}
			return nil
		}).Error
}

func (s *store) byIDs(ctx context.Context, ids []int64) (map[int64]User, error) {
	var us []User
	out := make(map[int64]User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Select("id", "name", "signature", "created_at").Where("id IN ?", ids).Find(&us).Error
	for _, u := range us {
		out[u.ID] = u
	}
	return out, err
}
