package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// endpoint holds the address and TLS flags shared by every command.
type endpoint struct {
	unix       string
	tcp        string
	tlsCert    string
	tlsKey     string
	tlsCA      string
	serverName string // client side only
}

func (e *endpoint) register(fs *flag.FlagSet, client bool) {
	fs.StringVar(&e.unix, "unix", "", "unix socket path")
	fs.StringVar(&e.tcp, "tcp", "", "TCP address HOST:PORT (port 0 picks a free port when serving)")
	fs.StringVar(&e.tlsCert, "tls-cert", "", "PEM certificate (server certificate, or client certificate for call/bench)")
	fs.StringVar(&e.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	if client {
		fs.StringVar(&e.tlsCA, "tls-ca", "", "PEM CA bundle that signed the server certificate")
		fs.StringVar(&e.serverName, "server-name", "", "name to verify in the server certificate (default: host of --tcp, or localhost)")
	} else {
		fs.StringVar(&e.tlsCA, "tls-ca", "", "PEM CA bundle: require client certificates signed by it")
	}
}

func (e *endpoint) validate(client bool) error {
	if (e.unix == "") == (e.tcp == "") {
		return errors.New("give exactly one of --unix PATH or --tcp HOST:PORT")
	}
	if (e.tlsCert == "") != (e.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if !client && e.tlsCert == "" && e.tlsCA != "" {
		return errors.New("--tls-ca needs --tls-cert and --tls-key when serving")
	}
	return nil
}

func (e *endpoint) network() (string, string) {
	if e.unix != "" {
		return "unix", e.unix
	}
	return "tcp", e.tcp
}

// useTLS: a server uses TLS when it has a certificate; a client when any TLS flag is given.
func (e *endpoint) useTLS(client bool) bool {
	if client {
		return e.tlsCert != "" || e.tlsCA != "" || e.serverName != ""
	}
	return e.tlsCert != ""
}

func readCAPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", file)
	}
	return pool, nil
}

func (e *endpoint) serverTLSConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(e.tlsCert, e.tlsKey)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if e.tlsCA != "" {
		pool, err := readCAPool(e.tlsCA)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

func (e *endpoint) clientTLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: e.serverName}
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost"
		if e.tcp != "" {
			if host, _, err := net.SplitHostPort(e.tcp); err == nil && host != "" {
				cfg.ServerName = host
			}
		}
	}
	if e.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(e.tlsCert, e.tlsKey)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if e.tlsCA != "" {
		pool, err := readCAPool(e.tlsCA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// listen opens the listener (wrapped in TLS when configured). The returned
// cleanup removes a unix socket file that this process created.
func (e *endpoint) listen() (net.Listener, func(), error) {
	network, addr := e.network()
	cleanup := func() {}
	if network == "unix" {
		// A socket file left behind by an earlier run would make bind fail; remove
		// it, but never remove anything that is not a socket.
		if fi, err := os.Lstat(addr); err == nil {
			if fi.Mode()&os.ModeSocket == 0 {
				return nil, cleanup, fmt.Errorf("%s exists and is not a socket", addr)
			}
			if err := os.Remove(addr); err != nil {
				return nil, cleanup, err
			}
		}
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, cleanup, err
	}
	if network == "unix" {
		cleanup = func() { _ = os.Remove(addr) }
	}
	if e.useTLS(false) {
		cfg, err := e.serverTLSConfig()
		if err != nil {
			l.Close()
			cleanup()
			return nil, func() {}, err
		}
		// The TLS handshake runs lazily on the connection's first read, inside
		// ttrpc's per-connection goroutine, so a slow or bad client never blocks
		// the accept loop.
		l = tls.NewListener(l, cfg)
	}
	return l, cleanup, nil
}

// dial connects and, for TLS, completes the handshake so that connection
// problems show up here rather than as a failed call.
func (e *endpoint) dial(timeout time.Duration) (net.Conn, error) {
	network, addr := e.network()
	conn, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return nil, err
	}
	if !e.useTLS(true) {
		return conn, nil
	}
	cfg, err := e.clientTLSConfig()
	if err != nil {
		conn.Close()
		return nil, err
	}
	tc := tls.Client(conn, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// parseFlags parses a subcommand's flags; Go's flag package accepts both
// --name and -name. It returns false (after printing why) on bad usage.
func parseFlags(fs *flag.FlagSet, args []string) bool {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fs.PrintDefaults()
			return false
		}
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer %s: %v\n", fs.Name(), err)
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false
	}
	return true
}
