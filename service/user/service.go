// Package user is the user service: accounts, passwords and profiles.
package user

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"

	"tiktok/internal/cache"
	"tiktok/internal/errno"
	"tiktok/internal/validate"
	"tiktok/kitex_gen/base"
	upb "tiktok/kitex_gen/user"
)

// Service is the user service: it implements the Kitex interface
// (userservice.UserService) itself, with its rules in these methods and its
// tables behind store.
type Service struct {
	st    *store
	cache *cache.Cache
	// staticBase is the absolute prefix of generated avatars and banners.
	staticBase string
	// dummyHash makes a login for an unknown name cost as much as a wrong password.
	dummyHash string
	// known: profiles never change once registered.
	known *cache.Immutable[User]
	// hashes bounds the password hashes in flight (see hashGate).
	hashes *hashGate
}

var _ upb.UserService = (*Service)(nil)

// Options are what the user service is built on.
type Options struct {
	DB *gorm.DB // required: the user tables
	// Cache fronts the profiles; nil is a valid, always-missing cache
	// (cache.New's answer without Redis).
	Cache *cache.Cache
	// StaticBase is the absolute prefix of generated avatars and banners
	// (required).
	StaticBase string
	// PasswordHashes is how many password hashes run at once
	// (limits.password_hashes; 0: one per core), PasswordHashQueue how many
	// may wait for a slot (limits.password_hash_queue); beyond them register
	// and login answer 10008.
	PasswordHashes    int
	PasswordHashQueue int
}

// New fails when a required dependency is missing, or when the look-alike
// keys of an older database cannot be filled in.
func New(o Options) (*Service, error) {
	switch {
	case o.DB == nil:
		return nil, errors.New("user: no database")
	case o.StaticBase == "":
		return nil, errors.New("user: no static base URL")
	}
	h, err := hashPassword("timing-equaliser")
	if err != nil {
		return nil, err
	}
	// Rows older than the look-alike key get theirs before any sign-in.
	if err := (&store{db: o.DB}).keyNames(context.Background()); err != nil {
		return nil, err
	}
	return &Service{st: &store{db: o.DB}, cache: o.Cache, staticBase: o.StaticBase, dummyHash: h,
		known: cache.NewImmutable[User](200_000), hashes: newHashGate(o.PasswordHashes, o.PasswordHashQueue)}, nil
}

func checkCredentials(name, pw string) error {
	if _, err := validate.NameKey(name); err != nil {
		return errno.BadParam("%s", err.Error())
	}
	if !validate.Text(pw, 6, 32) {
		return errno.BadParam("password must be 6 to 32 characters")
	}
	return nil
}

func (s *Service) Register(ctx context.Context, req *upb.RegisterRequest) (*upb.AuthResponse, error) {
	name, pw := req.Username, req.Password
	if err := checkCredentials(name, pw); err != nil {
		return nil, err
	}
	var h string
	var err error
	if gerr := s.hashes.do(ctx, func() { h, err = hashPassword(pw) }); gerr != nil {
		return nil, gerr
	}
	if err != nil {
		return nil, err
	}
	u := &User{Name: name, PasswordHash: h}
	if err := s.st.create(ctx, u); err == errDuplicate {
		return nil, errno.New(errno.CodeAlreadyExists, "username already taken")
	} else if err != nil {
		return nil, err
	}
	// A look-up of this id before it existed may have cached "absent".
	s.cache.Invalidate(ctx, cache.Key("user", u.ID))
	return &upb.AuthResponse{UserId: u.ID, CreatedAtMs: createdMs(u.CreatedAt)}, nil
}

func (s *Service) Login(ctx context.Context, req *upb.LoginRequest) (*upb.AuthResponse, error) {
	name, pw := req.Username, req.Password
	if name == "" || pw == "" {
		return nil, errno.BadParam("username and password are required")
	}
	u, err := s.st.byName(ctx, name)
	if err != nil {
		return nil, err
	}
	encoded := s.dummyHash
	if u != nil {
		encoded = u.PasswordHash
	}
	ok := false
	if err := s.hashes.do(ctx, func() { ok = checkPassword(encoded, pw) }); err != nil {
		return nil, err
	}
	if u == nil || !ok {
		return nil, errno.Unauthorized("wrong username or password")
	}
	return &upb.AuthResponse{UserId: u.ID, CreatedAtMs: createdMs(u.CreatedAt)}, nil
}

// MGetUsers returns the users that exist among req.Ids.
func (s *Service) MGetUsers(ctx context.Context, req *base.IdsRequest) (*upb.UsersResponse, error) {
	us, err := s.known.Batch(ctx, s.cache, "user", req.Ids, s.st.byIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*base.UserInfo, len(us))
	for _, u := range us {
		id := strconv.FormatInt(u.ID, 10)
		out[u.ID] = &base.UserInfo{
			Id: u.ID, Name: u.Name, Signature: u.Signature,
			Avatar:          s.staticBase + "avatar/" + id + ".png",
			BackgroundImage: s.staticBase + "background/" + id + ".png",
			CreatedAtMs:     createdMs(u.CreatedAt),
		}
	}
	return &upb.UsersResponse{Users: out}, nil
}

// createdMs is a registration time in ms, 0 when unknown (a record cached by
// an older version, which did not read the column).
func createdMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
