package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxResponseSize bounds response_size so a typo cannot make the server allocate gigabytes.
const maxResponseSize = 64 << 20

// handleEcho implements interop.Echo/Echo.
func handleEcho(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	// Remaining budget as the handler starts (the server derived the deadline from timeout_nano).
	var timeoutNano int64
	if dl, ok := ctx.Deadline(); ok {
		timeoutNano = time.Until(dl).Nanoseconds()
	}
	req := &EchoRequest{}
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	if req.SleepMs > 0 {
		t := time.NewTimer(time.Duration(req.SleepMs) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			// ttrpc maps context.DeadlineExceeded to code 4 and context.Canceled to code 1.
			return nil, ctx.Err()
		}
	}
	if req.FailCode != 0 {
		return nil, status.Error(codes.Code(uint32(req.FailCode)), req.FailMessage)
	}
	resp := &EchoResponse{TimeoutNano: timeoutNano, Metadata: receivedMetadata(ctx)}
	switch {
	case req.ResponseSize > maxResponseSize:
		return nil, status.Errorf(codes.InvalidArgument, "response_size %d is over this tool's limit of %d", req.ResponseSize, maxResponseSize)
	case req.ResponseSize > 0:
		resp.Payload = patternPayload(int(req.ResponseSize))
	default:
		resp.Payload = req.Payload
	}
	return resp, nil
}

// receivedMetadata flattens the request metadata, sorted by key then value.
func receivedMetadata(ctx context.Context) []*KeyValue {
	md, ok := ttrpc.GetMetadata(ctx)
	if !ok {
		return nil
	}
	var out []*KeyValue
	for k, values := range md {
		for _, v := range values {
			out = append(out, &KeyValue{Key: k, Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Value < out[j].Value
	})
	return out
}

func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var ep endpoint
	ep.register(fs, false)
	if !parseFlags(fs, args) {
		return 2
	}
	if err := ep.validate(false); err != nil {
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer serve: %v\n", err)
		return 2
	}

	server, err := ttrpc.NewServer()
	if err != nil {
		return fail("new server: %v", err)
	}
	server.Register(echoService, map[string]ttrpc.Method{echoMethod: handleEcho})

	l, cleanup, err := ep.listen()
	if err != nil {
		return fail("listen: %v", err)
	}
	defer cleanup()

	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(context.Background(), l) }()

	// Stop on SIGTERM/SIGINT, or when stdin ends: a test runner that dies
	// closes our stdin, so the server never outlives it.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	stdinEOF := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinEOF)
	}()

	fmt.Fprintf(os.Stdout, "READY %s\n", l.Addr().String())
	_ = os.Stdout.Sync()

	code := 0
	select {
	case <-sigs:
	case <-stdinEOF:
	case err := <-serveErr:
		code = fail("serve: %v", err)
	}
	_ = server.Close()
	return code
}
