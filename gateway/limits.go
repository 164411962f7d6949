package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"tiktok/internal/config"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/metrics"
	"tiktok/internal/ratelimit"
	"tiktok/internal/validate"
)

// Limit names: each is a key of the limits: configuration and the prefix of
// its budgets' keys.
const (
	limLoginIP          = "login_ip"
	limLoginAccount     = "login_account"
	limLoginAccountHour = "login_account_hour"
	limRegisterIP       = "register_ip"
	limPublish          = "publish"
	limComment          = "comment"
	limMessage          = "message"
	limLike             = "like"
	limFollow           = "follow"
)

// limits are the gateway's rate limits (docs/SECURITY.md): the configured
// rule of each name and the limiter that keeps the budgets, in Redis when
// one is configured so that every gateway instance draws on the same ones.
type limits struct {
	lim   ratelimit.Limiter
	rules map[string]ratelimit.Limit
}

func newLimits(cfg *config.Config) *limits {
	l := cfg.Limits
	return &limits{
		lim: ratelimit.New(cfg.Redis.Addr, cfg.Redis.DB, cfg.Redis.Timeout),
		rules: map[string]ratelimit.Limit{
			limLoginIP:          ratelimit.Limit(l.LoginIP),
			limLoginAccount:     ratelimit.Limit(l.LoginAccount),
			limLoginAccountHour: ratelimit.Limit(l.LoginAccountHour),
			limRegisterIP:       ratelimit.Limit(l.RegisterIP),
			limPublish:          ratelimit.Limit(l.Publish),
			limComment:          ratelimit.Limit(l.Comment),
			limMessage:          ratelimit.Limit(l.Message),
			limLike:             ratelimit.Limit(l.Like),
			limFollow:           ratelimit.Limit(l.Follow),
		},
	}
}

// allowN takes n from subject's budget under limit name (n < 0 gives back).
// Detached: a client that hangs up must not cancel the Redis call, which
// would count as Redis failing.
func (g *Gateway) allowN(c *gin.Context, name, subject string, n int) ratelimit.Result {
	return g.limits.lim.AllowN(ctxOf(c), name+":"+subject, g.limits.rules[name], n)
}

// take takes one request from subject's budget under limit name.
func (g *Gateway) take(c *gin.Context, name, subject string) error {
	if r := g.allowN(c, name, subject, 1); !r.Allowed {
		return refuse(c, name, r)
	}
	return nil
}

// refuse is the reply to a request over limit rule: 10008, and Retry-After
// in seconds (API.md).
func refuse(c *gin.Context, rule string, r ratelimit.Result) error {
	metrics.RateLimitRefusals.WithLabelValues(rule).Inc()
	s := r.RetryAfterSeconds()
	c.Header("Retry-After", strconv.Itoa(s))
	return errno.New(errno.CodeRateLimited, "too many requests, please retry in %d s", s)
}

// limitUser takes one of user id's requests under limit name. The upload
// calls it itself (admit): its token may come in the multipart body, so the
// user is known only once the form gives it, still before any video byte
// is stored.
func (g *Gateway) limitUser(c *gin.Context, name string, id int64) error {
	return g.take(c, name, strconv.FormatInt(id, 10))
}

// perIP limits h by the client's IP under limit name. The IP is the
// connection's remote address unless it is a configured trusted proxy.
func perIP[P any](g *Gateway, name string, h func(*gin.Context) (P, error)) func(*gin.Context) (P, error) {
	return func(c *gin.Context) (P, error) {
		if err := g.take(c, name, clientKey(c)); err != nil {
			var zero P
			return zero, err
		}
		return h(c)
	}
}

// perUser limits h by the token's user under limit name, every attempt
// counted. A request without a valid token is not counted: its handler
// refuses it (10002) before any work.
func perUser[P any](g *Gateway, name string, h func(*gin.Context) (P, error)) func(*gin.Context) (P, error) {
	return func(c *gin.Context) (P, error) {
		if t := tokenOf(c); t != "" {
			if id, err := g.tokens.Verify(ctxOf(c), t); err == nil {
				if err := g.limitUser(c, name, id); err != nil {
					var zero P
					return zero, err
				}
			}
		}
		return h(c)
	}
}

// guardLogin limits the login h: every attempt per client IP, and the wrong
// passwords per account name in two tiers (a handful a minute, at most 100
// an hour). A failure is reserved before the password is checked, so that
// concurrent guesses cannot all pass before any is counted, and given back
// when the attempt was not a wrong password (success, bad parameter, busy).
// While a tier refuses, the right password is refused too, without being
// checked: otherwise a guesser would go on at full speed and simply notice
// the success. The refusal lifts by itself (Retry-After), so a guesser can
// slow an account's owner down but never lock them out for longer than
// they keep guessing.
func (g *Gateway) guardLogin(h func(*gin.Context) (*authResp, error)) func(*gin.Context) (*authResp, error) {
	return func(c *gin.Context) (*authResp, error) {
		if err := g.take(c, limLoginIP, clientKey(c)); err != nil {
			return nil, err
		}
		name, _ := param(c, "username")
		if name == "" {
			return h(c) // a bad parameter; nothing to count
		}
		acct := accountKey(name)
		var taken []string
		giveBack := func() {
			for _, tier := range taken {
				g.allowN(c, tier, acct, -1)
			}
		}
		for _, tier := range []string{limLoginAccount, limLoginAccountHour} {
			r := g.allowN(c, tier, acct, 1)
			if !r.Allowed {
				giveBack()
				logx.Ctx(c.Request.Context()).Info("login throttled", zap.String("account", acct), zap.String("tier", tier),
					zap.String("ip", c.ClientIP()))
				return nil, refuse(c, tier, r)
			}
			taken = append(taken, tier)
		}
		resp, err := h(c)
		if code, _ := errno.From(err); code != errno.CodeUnauthorized {
			giveBack()
		}
		return resp, err
	}
}

// clientKey names the client's per-IP budget: its IPv4 address, or the /64
// of its IPv6 address, as one subscriber commonly holds a whole /64 and
// could otherwise take a fresh budget with each of its addresses.
func clientKey(c *gin.Context) string {
	ip, err := netip.ParseAddr(c.ClientIP())
	if err != nil {
		return c.ClientIP()
	}
	if ip = ip.Unmap(); ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}

// accountKey names an account's budget: the folded name, which is how the
// user service tells accounts apart (so "Ann" and "ANN" share one budget),
// hashed to bound the key's length whatever was sent.
func accountKey(name string) string {
	sum := sha256.Sum256([]byte(validate.NameFold(name)))
	return hex.EncodeToString(sum[:16])
}

// trustProxies sets whose forwarding headers name the client (gin trusts
// every proxy by default, which would let any client pick its own IP and so
// its per-IP budget). A bad entry trusts none and says so.
func trustProxies(r *gin.Engine, proxies []string) {
	if err := r.SetTrustedProxies(proxies); err != nil {
		logx.L().Error("limits.trusted_proxies is invalid; trusting no proxy", zap.Error(err))
		_ = r.SetTrustedProxies(nil)
	}
}
