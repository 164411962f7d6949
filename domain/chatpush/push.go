// Package chatpush carries chat messages to the browsers of their recipients as
// they are sent: the message service announces each committed message on a
// NATS subject of its recipient (Publisher), and every gateway instance
// subscribes, for each user with a stream open on it, to that user's subject
// and hands what arrives to the user's streams (Hub). Delivery is at most
// once and best effort (core NATS, no replay): the chat's polling path stays
// the record, and a client catches up through it whenever its stream
// (re)starts, so a lost event is late, never missing.
package chatpush

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/nats-io/nats.go"
)

// Message is a chat message as pushed: the API's Message, field for field.
type Message struct {
	ID         int64  `json:"id"`
	ToUserID   int64  `json:"to_user_id"`
	FromUserID int64  `json:"from_user_id"`
	Content    string `json:"content"`
	CreateTime int64  `json:"create_time"`
}

// DefaultSubject is the default prefix of the users' subjects (push.subject).
const DefaultSubject = "tiktok.chat.user"

// Subject is user's subject under prefix: <prefix>.<user id>.
func Subject(prefix string, user int64) string {
	return prefix + "." + strconv.FormatInt(user, 10)
}

// Publisher announces committed messages to their recipients' gateways.
type Publisher struct {
	nc     *nats.Conn
	prefix string
}

// NewPublisher publishes on nc under prefix ("" is DefaultSubject).
func NewPublisher(nc *nats.Conn, prefix string) *Publisher {
	if prefix == "" {
		prefix = DefaultSubject
	}
	return &Publisher{nc: nc, prefix: prefix}
}

// Chat announces m to its recipient. It does not wait for the server: the
// message is committed already, and a recipient that misses the event gets
// the message from its next poll. A nil Publisher announces nothing.
func (p *Publisher) Chat(m Message) error {
	if p == nil || p.nc == nil {
		return nil
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return p.nc.Publish(Subject(p.prefix, m.ToUserID), data)
}

// Errors of Hub.Join.
var (
	// ErrUserBusy: the user already has Options.PerUser streams here.
	ErrUserBusy = errors.New("too many chat streams open for this user")
	// ErrFull: the instance holds Options.Total streams.
	ErrFull = errors.New("too many chat streams open")
	// ErrUnavailable: no live link to NATS, or the hub is closed.
	ErrUnavailable = errors.New("chat push unavailable")
)
