package app

import (
	"fmt"

	"tiktok/gateway"
	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/rpc"
	"tiktok/kitex_gen/comment/commentservice"
	"tiktok/kitex_gen/favorite/favoriteservice"
	"tiktok/kitex_gen/feed/feedservice"
	"tiktok/kitex_gen/message/messageservice"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/relation/relationservice"
	"tiktok/kitex_gen/user/userservice"
)

// Service names, used for discovery, credentials and logs; the registry lists
// the services, these name the ones Clients calls.
const (
	User     = "user"
	Feed     = "feed"
	Publish  = "publish"
	Favorite = "favorite"
	Comment  = "comment"
	Relation = "relation"
	Message  = "message"
)

// Media is the media worker's role (`tiktok media`): not a service, a caller
// of publish (it marks the videos it processed).
const Media = "media"

// Clients holds one client per service; each role uses the ones it needs.
type Clients struct {
	User     userservice.Client
	Feed     feedservice.Client
	Publish  publishservice.Client
	Favorite favoriteservice.Client
	Comment  commentservice.Client
	Relation relationservice.Client
	Message  messageservice.Client
}

// once are, per service, the methods whose call must not run twice, which the
// clients never retry: a second run would post a comment or a message twice,
// delete or register again and answer "not found" or "taken" to a call that
// succeeded, or publish twice. Password checks are left out too: each costs
// a bounded hash.
var once = map[string]map[string]bool{
	Comment: {"Create": true, "Delete": true},
	Message: {"Send": true},
	Publish: {"CreateVideo": true},
	User:    {"Register": true, "Login": true},
}

// NewClients makes clients for every service, calling as role caller (its
// credentials say so). Kitex clients connect lazily, so a client for a
// service that is down costs nothing until it is called.
func NewClients(cfg *config.Config, d discovery.Discovery, caller string) (*Clients, error) {
	o, err := rpc.NewCaller(cfg, d, caller)
	if err != nil {
		return nil, err
	}
	var c Clients
	if c.User, err = userservice.NewClient(User, o.ClientOptions(User, userservice.NewServiceInfo(), once[User])...); err != nil {
		return nil, fmt.Errorf("user client: %w", err)
	}
	if c.Feed, err = feedservice.NewClient(Feed, o.ClientOptions(Feed, feedservice.NewServiceInfo(), once[Feed])...); err != nil {
		return nil, fmt.Errorf("feed client: %w", err)
	}
	if c.Publish, err = publishservice.NewClient(Publish, o.ClientOptions(Publish, publishservice.NewServiceInfo(), once[Publish])...); err != nil {
		return nil, fmt.Errorf("publish client: %w", err)
	}
	if c.Favorite, err = favoriteservice.NewClient(Favorite, o.ClientOptions(Favorite, favoriteservice.NewServiceInfo(), once[Favorite])...); err != nil {
		return nil, fmt.Errorf("favorite client: %w", err)
	}
	if c.Comment, err = commentservice.NewClient(Comment, o.ClientOptions(Comment, commentservice.NewServiceInfo(), once[Comment])...); err != nil {
		return nil, fmt.Errorf("comment client: %w", err)
	}
	if c.Relation, err = relationservice.NewClient(Relation, o.ClientOptions(Relation, relationservice.NewServiceInfo(), once[Relation])...); err != nil {
		return nil, fmt.Errorf("relation client: %w", err)
	}
	if c.Message, err = messageservice.NewClient(Message, o.ClientOptions(Message, messageservice.NewServiceInfo(), once[Message])...); err != nil {
		return nil, fmt.Errorf("message client: %w", err)
	}
	return &c, nil
}

// forGateway is the gateway's view of the clients: it calls every service.
func (c *Clients) forGateway() *gateway.Clients {
	return &gateway.Clients{User: c.User, Feed: c.Feed, Publish: c.Publish, Favorite: c.Favorite,
		Comment: c.Comment, Relation: c.Relation, Message: c.Message}
}
