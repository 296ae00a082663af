// vcsim: govmomi's vSphere simulator (Debian's golang-github-vmware-govmomi-dev ships the library,
// not the command) serving a VPX inventory for tests. Prints the SDK URL on stdout once it answers;
// removes the model and exits on SIGTERM or SIGINT.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	listen := flag.String("l", "127.0.0.1:0", "host:port to serve on (port 0: any free one)")
	username := flag.String("username", "user", "the one user Login accepts")
	password := flag.String("password", "pass", "that user's password")
	certFile := flag.String("tlscert", "", "server certificate (PEM); default the simulator's own localhost certificate")
	keyFile := flag.String("tlskey", "", "server key (PEM)")
	useTLS := flag.Bool("tls", true, "serve HTTPS (false: plain HTTP)")
	flag.Parse()

	model := simulator.VPX()
	if err := model.Create(); err != nil {
		fmt.Fprintf(os.Stderr, "vcsim: creating the model: %v\n", err)
		os.Exit(1)
	}
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	if *useTLS {
		config := new(tls.Config)
		if *certFile != "" || *keyFile != "" {
			pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
			if err != nil {
				fmt.Fprintf(os.Stderr, "vcsim: -tlscert/-tlskey: %v\n", err)
				os.Exit(2)
			}
			config.Certificates = []tls.Certificate{pair}
		}
		model.Service.TLS = config
	}
	server := model.Service.NewServer()
	sdk := *server.URL
	sdk.User = nil
	fmt.Printf("vcsim: serving %s\n", sdk.String())

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
	server.Close()
	model.Remove()
}
