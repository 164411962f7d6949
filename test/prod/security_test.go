package prod

import (
	"context"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/transport"

	"tiktok/app"
	"tiktok/internal/errno"
	"tiktok/internal/rpc"
	"tiktok/kitex_gen/message"
	"tiktok/kitex_gen/message/messageservice"
)

// TestRPCRequiresCredential: a Kitex client of our own on the machine cannot
// read two users' private conversation from the message service without the
// deployment's credential: none, one signed with another key, and one of a
// role the message service does not serve are all refused; the same call
// with the deployment's key as the gateway succeeds. The services listen on
// loopback only.
func TestRPCRequiresCredential(t *testing.T) {
	cfg, base := setup(t)
	secret := os.Getenv("TIKTOK_RPC_SECRET")
	if secret == "" {
		t.Fatal("TIKTOK_RPC_SECRET: the deployment's RPC key (scripts/cluster.sh writes .run/rpc-secret)")
	}
	aID, a := register(t, base, "secret_a")
	bID, _ := register(t, base, "secret_b")
	r, _ := call(t, "POST", base+"/douyin/message/action/", url.Values{"token": {a},
		"to_user_id": {strconv.FormatInt(bID, 10)}, "action_type": {"1"}, "content": {"private"}})
	if r.code() != 0 {
		t.Fatalf("send: %v", r)
	}
	addr := cfg.ServiceAddr(app.Message, 9107)
	chat := func(o ...client.Option) (*message.ChatResponse, error) {
		opts := []client.Option{client.WithHostPorts(addr), client.WithTransportProtocol(transport.TTHeader),
			client.WithMetaHandler(transmeta.ClientTTHeaderHandler), client.WithRPCTimeout(5 * time.Second)}
		if cfg.RPC.MuxConnections > 0 {
			opts = append(opts, client.WithMuxConnection(1))
		}
		c, err := messageservice.NewClient(app.Message, append(opts, o...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c.Chat(context.Background(), &message.ChatRequest{ViewerId: bID, PeerId: aID})
	}
	for name, o := range map[string][]client.Option{
		"no credential":       nil,
		"wrong key":           {rpc.SignedBy(rpc.NewSecret(), "gateway", app.Message)},
		"credential for user": {rpc.SignedBy(secret, "gateway", app.User)},
		"role not allowed":    {rpc.SignedBy(secret, app.Relation, app.Message)},
	} {
		resp, err := chat(o...)
		if err == nil || len(resp.GetMessages()) != 0 || !strings.Contains(err.Error(), "credential refused") {
			t.Errorf("%s: got %v, %v; want a refusal", name, resp.GetMessages(), err)
		}
	}
	resp, err := chat(rpc.SignedBy(secret, "gateway", app.Message))
	if err != nil || len(resp.GetMessages()) != 1 || resp.Messages[0].Content != "private" {
		t.Fatalf("with the deployment's credential: %v, %v", resp.GetMessages(), err)
	}
	// Nothing answers on the machine's other addresses.
	addrs, _ := net.InterfaceAddrs()
	for _, ia := range addrs {
		ipn, ok := ia.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.To4() == nil {
			continue
		}
		for port := 9101; port <= 9107; port++ {
			a := net.JoinHostPort(ipn.IP.String(), strconv.Itoa(port))
			if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
				c.Close()
				t.Errorf("an RPC port answers on %s", a)
			}
		}
	}
}

// TestLogoutReachesEveryGateway: with a second gateway instance on the same
// Redis, a token logged out on the first is refused by the second at once
// (it had accepted, so remembered, the token before), and by a gateway
// instance started after the logout.
func TestLogoutReachesEveryGateway(t *testing.T) {
	processesOnly(t)
	_, base := setup(t)
	other := startGateway2(t)
	_, token := register(t, base, "leaver")
	me := url.Values{"token": {token}}
	for _, gw := range []string{base, other} {
		if r, _ := call(t, "GET", gw+"/douyin/user/", me); r.code() != 0 {
			t.Fatalf("%s before logout: %v", gw, r)
		}
	}
	if r, _ := call(t, "POST", base+"/douyin/user/logout/", me); r.code() != 0 {
		t.Fatalf("logout: %v", r)
	}
	start := time.Now()
	for _, gw := range []string{base, other} {
		eventually(t, 2*time.Second, "token refused on "+gw, func() bool {
			r, _ := call(t, "GET", gw+"/douyin/user/", me)
			return r.code() == int64(errno.CodeUnauthorized)
		})
	}
	t.Logf("refused on both gateways %v after the logout", time.Since(start).Round(time.Millisecond))
	stopRole(t, "gateway-2")
	startGateway2(t)
	if r, _ := call(t, "GET", other+"/douyin/user/", me); r.code() != int64(errno.CodeUnauthorized) {
		t.Fatalf("a gateway started after the logout accepts the token: %v", r)
	}
}
