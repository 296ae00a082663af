// Command go-verify checks certificates made by @peerpods/tls with Go's crypto/x509 and crypto/tls,
// the libraries upstream's cloud-api-adaptor and agent-protocol-forwarder use. Standard library only.
//
//	go-verify server    <ca.pem> <server.pem> <server.key> <dns-name>
//	go-verify client    <client-ca.pem> <client.pem> <client.key>
//	go-verify handshake <ca.pem> <server.pem> <server.key> <client.pem> <client.key> <dns-name>
//	go-verify suites    (prints Go's secure cipher suites: name, a tab, TLS versions)
//	go-verify dial      <host:port> <ca.pem> <client.pem> <client.key> <dns-name> <max-version 1.2|1.3> [<suite,...>]
//
// Prints "ok: ..." and exits 0, or prints the error and exits 1.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "go-verify:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: go-verify server|client|handshake ...")
	}
	switch {
	case args[0] == "server" && len(args) == 5:
		return verifyServer(args[1], args[2], args[3], args[4])
	case args[0] == "client" && len(args) == 4:
		return verifyClient(args[1], args[2], args[3])
	case args[0] == "handshake" && len(args) == 7:
		return handshake(args[1], args[2], args[3], args[4], args[5], args[6])
	case args[0] == "suites" && len(args) == 1:
		for _, suite := range tls.CipherSuites() {
			versions := []string{}
			for _, v := range suite.SupportedVersions {
				versions = append(versions, versionName(v))
			}
			fmt.Printf("%s\t%s\n", suite.Name, strings.Join(versions, ","))
		}
		return nil
	case args[0] == "dial" && (len(args) == 7 || len(args) == 8):
		suites := ""
		if len(args) == 8 {
			suites = args[7]
		}
		return dial(args[1], args[2], args[3], args[4], args[5], args[6], suites)
	}
	return fmt.Errorf("bad arguments: %q", args)
}

func pool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no certificate could be parsed", path)
	}
	return p, nil
}

// keyPair loads a pair the way the forwarder and the adaptor do, and returns the parsed leaf.
func keyPair(certPath, keyPath string) (tls.Certificate, *x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return pair, nil, err
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	return pair, leaf, err
}

func verifyServer(caPath, certPath, keyPath, name string) error {
	roots, err := pool(caPath)
	if err != nil {
		return err
	}
	_, leaf, err := keyPair(certPath, keyPath)
	if err != nil {
		return err
	}
	opts := x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		return err
	}
	fmt.Println("ok: server certificate verified for", name)
	return nil
}

func verifyClient(caPath, certPath, keyPath string) error {
	roots, err := pool(caPath)
	if err != nil {
		return err
	}
	_, leaf, err := keyPair(certPath, keyPath)
	if err != nil {
		return err
	}
	opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		return err
	}
	fmt.Println("ok: client certificate verified")
	return nil
}

// handshake runs a mutual-TLS handshake between a Go client and a Go server over an in-memory pipe,
// configured like upstream: the server requires a client certificate signed by the client CA (here
// the self-signed client certificate itself), the client checks the server name against the CA.
func handshake(caPath, serverCert, serverKey, clientCert, clientKey, name string) error {
	roots, err := pool(caPath)
	if err != nil {
		return err
	}
	clientCAs, err := pool(clientCert)
	if err != nil {
		return err
	}
	serverPair, _, err := keyPair(serverCert, serverKey)
	if err != nil {
		return err
	}
	clientPair, _, err := keyPair(clientCert, clientKey)
	if err != nil {
		return err
	}
	a, b := net.Pipe()
	deadline := time.Now().Add(10 * time.Second)
	_ = a.SetDeadline(deadline)
	_ = b.SetDeadline(deadline)
	server := tls.Server(a, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{serverPair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
	})
	client := tls.Client(b, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		RootCAs:      roots,
		ServerName:   name,
		Certificates: []tls.Certificate{clientPair},
	})
	serverDone := make(chan error, 1)
	go func() {
		if err := server.Handshake(); err != nil {
			serverDone <- fmt.Errorf("server: %w", err)
			return
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(server, buf); err != nil {
			serverDone <- fmt.Errorf("server read: %w", err)
			return
		}
		_, err := server.Write(buf)
		serverDone <- err
	}()
	if err := client.Handshake(); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if _, err := client.Write([]byte("ping")); err != nil {
		return err
	}
	echo := make([]byte, 4)
	if _, err := io.ReadFull(client, echo); err != nil {
		return fmt.Errorf("client read: %w", err)
	}
	if err := <-serverDone; err != nil {
		return err
	}
	fmt.Printf("ok: mutual TLS handshake (%s), echoed %q\n", versionName(client.ConnectionState().Version), echo)
	return nil
}

// dial connects like upstream's cloud-api-adaptor to a forwarder at addr (a loopback address in the
// tests), sends "ping" and expects it echoed. Suites are IANA names, looked up in Go's own table.
func dial(addr, caPath, certPath, keyPath, name, maxVersion, suites string) error {
	roots, err := pool(caPath)
	if err != nil {
		return err
	}
	pair, _, err := keyPair(certPath, keyPath)
	if err != nil {
		return err
	}
	config := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS13,
		RootCAs:      roots,
		ServerName:   name,
		Certificates: []tls.Certificate{pair},
	}
	if maxVersion == "1.2" {
		config.MaxVersion = tls.VersionTLS12
	}
	if suites != "" {
		for _, want := range strings.Split(suites, ",") {
			id, ok := suiteID(want)
			if !ok {
				return fmt.Errorf("Go does not know cipher suite %s", want)
			}
			config.CipherSuites = append(config.CipherSuites, id)
		}
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, config)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("ping")); err != nil {
		return err
	}
	echo := make([]byte, 4)
	if _, err := io.ReadFull(conn, echo); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	state := conn.ConnectionState()
	fmt.Printf("ok: %s %s, echoed %q\n", versionName(state.Version), tls.CipherSuiteName(state.CipherSuite), echo)
	return nil
}

func suiteID(name string) (uint16, bool) {
	for _, suite := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if suite.Name == name {
			return suite.ID, true
		}
	}
	return 0, false
}

// versionName exists because tls.VersionName needs Go 1.21 and Debian 12 has 1.19.
func versionName(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLS 1.2"
	case tls.VersionTLS13:
		return "TLS 1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}
