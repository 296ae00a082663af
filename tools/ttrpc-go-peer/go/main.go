// Command ttrpc-go-peer is a test tool: it serves and calls the interop.Echo
// service with the Go reference ttrpc (Debian's 1.1.1), so that the TypeScript
// ttrpc can be checked against it and benchmarked next to it, and it plays the
// kata shim against a cloud-api-adaptor daemon (shim command). It is not part
// of the product.
package main

import (
	"fmt"
	"os"
)

const usage = `ttrpc-go-peer: Go reference ttrpc (Debian 1.1.1) as an interop peer and benchmark reference

usage:
  ttrpc-go-peer serve (--unix PATH | --tcp HOST:PORT) [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]
  ttrpc-go-peer call  (--unix PATH | --tcp HOST:PORT) [--tls-cert F --tls-key F --tls-ca F --server-name NAME] --scenario NAME
  ttrpc-go-peer bench (--unix PATH | --tcp HOST:PORT) [TLS flags as for call] --concurrency N --size BYTES
                      [--duration-ms D (default 3000)] [--warmup-ms W (default 500)]
  ttrpc-go-peer shim  --socket PATH --id SANDBOX_ID [--annotation KEY=VALUE ...] [--netns PATH]
                      [--start-timeout-s 600] [--agent-calls FILE] [--agent-dial-timeout-s 30]
                      [--skip-start] [--skip-stop] [--stop-only]

scenarios: %s
`

func printUsage() {
	fmt.Fprintf(os.Stderr, usage, scenarioNames())
}

func main() {
	if len(os.Args) < 2 {
		printUsage()
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "serve":
		code = runServe(os.Args[2:])
	case "call":
		code = runCall(os.Args[2:])
	case "bench":
		code = runBench(os.Args[2:])
	case "shim":
		code = runShim(os.Args[2:])
	case "help", "-h", "-help", "--help":
		printUsage()
	default:
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer: unknown command %q\n", os.Args[1])
		printUsage()
		code = 2
	}
	os.Exit(code)
}

// fail prints a message for a problem that stops the tool itself and returns exit code 1.
func fail(format string, args ...interface{}) int {
	fmt.Fprintf(os.Stderr, "ttrpc-go-peer: "+format+"\n", args...)
	return 1
}
