package queue

import (
	"errors"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is a NATS server with JetStream inside this process: `tiktok serve`
// runs one so that its run command needs nothing installed. It opens no
// port; its clients connect in-process (Connect), through the same client
// library and the same code paths as the roles that reach a real server.
type Server struct {
	ns *server.Server
}

// StartServer starts an embedded server that keeps its streams under dir
// (the data folder's nats/), so jobs survive a restart of serve.
func StartServer(dir string) (*Server, error) {
	ns, err := server.NewServer(&server.Options{
		ServerName: "tiktok-serve",
		JetStream:  true,
		StoreDir:   dir,
		DontListen: true, // in-process clients only: no port to collide with the machine's NATS
		NoSigs:     true, // serve handles its own signals
		NoLog:      true,
	})
	if err != nil {
		return nil, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded NATS server did not start within 10 s")
	}
	return &Server{ns: ns}, nil
}

// Connect opens a connection to the embedded server, in-process, with the
// same reconnection behaviour as Connect.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect("", append(append(connOptions(2*time.Second), nats.InProcessServer(s.ns)), opts...)...)
}

// Shutdown stops the server and waits until its storage is closed.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
