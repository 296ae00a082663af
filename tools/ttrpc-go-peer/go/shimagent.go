package main

// Agent calls of the shim command: one connection to the agent socket that
// CreateVM returned, raw payloads both ways (see rawmessage.go).

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// agentCall is one entry of the --agent-calls file.
type agentCall struct {
	Service    string `json:"service"`
	Method     string `json:"method"`
	PayloadHex string `json:"payloadHex"`
	TimeoutMs  int64  `json:"timeoutMs"`  // 0: no deadline
	Concurrent int    `json:"concurrent"` // > 1: make the same call this many times at once
	payload    []byte
}

type agentDialResult struct {
	stepResult
	Path     string `json:"path"`
	Attempts int    `json:"attempts"`
}

type agentCallResult struct {
	stepResult
	Service     string `json:"service"`
	Method      string `json:"method"`
	ResponseHex string `json:"responseHex"`
	// Set for entries with "concurrent": N.
	Concurrent int       `json:"concurrent,omitempty"`
	Identical  *int      `json:"identical,omitempty"` // successful responses byte-identical to the first one
	Failed     *int      `json:"failed,omitempty"`
	Errors     *[]string `json:"errors,omitempty"` // distinct error messages, in call order
}

func readAgentCalls(file string) ([]agentCall, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	calls := []agentCall{}
	if err := dec.Decode(&calls); err != nil {
		return nil, err
	}
	for i := range calls {
		c := &calls[i]
		if c.Service == "" || c.Method == "" {
			return nil, fmt.Errorf("entry %d: service and method are required", i)
		}
		if c.TimeoutMs < 0 || c.Concurrent < 0 {
			return nil, fmt.Errorf("entry %d: timeoutMs and concurrent cannot be negative", i)
		}
		if c.payload, err = hex.DecodeString(c.PayloadHex); err != nil {
			return nil, fmt.Errorf("entry %d: payloadHex: %v", i, err)
		}
	}
	return calls, nil
}

// dialAgent dials the agent socket, retrying until timeout like kata's
// RemoteSockDialer (kata retries back to back; this waits 10 ms between tries).
func dialAgent(path string, timeout time.Duration) (net.Conn, *agentDialResult) {
	r := &agentDialResult{Path: path}
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		r.Attempts++
		conn, err := net.DialTimeout("unix", path, timeout)
		if err == nil {
			r.Ok = true
			r.ElapsedMs = ms(time.Since(start))
			return conn, r
		}
		if !time.Now().Add(10 * time.Millisecond).Before(deadline) {
			r.setError(status.Errorf(codes.DeadlineExceeded, "timed out connecting to remote sock: %s", path))
			r.ErrorText += " (last error: " + err.Error() + ")"
			r.ElapsedMs = ms(time.Since(start))
			return nil, r
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runAgentCalls makes the calls in order on the one client. Without a client
// (the dial failed) every entry reports the dial error.
func runAgentCalls(c *ttrpc.Client, calls []agentCall, dial *agentDialResult) []*agentCallResult {
	results := make([]*agentCallResult, 0, len(calls))
	for i := range calls {
		call := &calls[i]
		r := &agentCallResult{Service: call.Service, Method: call.Method}
		switch {
		case c == nil:
			r.stepResult = dial.stepResult
			r.ElapsedMs = 0
		case call.Concurrent > 1:
			agentCallConcurrent(c, call, r)
		default:
			resp, took, err := agentCallOnce(c, call)
			r.setError(err)
			r.ElapsedMs = ms(took)
			r.ResponseHex = hex.EncodeToString(resp)
		}
		results = append(results, r)
	}
	return results
}

func agentCallOnce(c *ttrpc.Client, call *agentCall) ([]byte, time.Duration, error) {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if call.TimeoutMs > 0 {
		ctx, cancel = context.WithTimeout(ctx, time.Duration(call.TimeoutMs)*time.Millisecond)
	}
	defer cancel()
	resp := &rawMessage{}
	start := time.Now()
	err := c.Call(ctx, call.Service, call.Method, &rawMessage{b: call.payload}, resp)
	return resp.b, time.Since(start), err
}

// agentCallConcurrent makes the same call N times at once on the one client.
// responseHex is the first successful response (in call order); ok means all N succeeded
// with byte-identical responses; code/message come from the first failed call.
func agentCallConcurrent(c *ttrpc.Client, call *agentCall, r *agentCallResult) {
	n := call.Concurrent
	resps := make([][]byte, n)
	errs := make([]error, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			resps[i], _, errs[i] = agentCallOnce(c, call)
		}(i)
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	r.ElapsedMs = ms(time.Since(start))

	identical, failed := 0, 0
	var first []byte
	haveFirst := false
	seen := map[string]bool{}
	distinct := []string{}
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			failed++
			if failed == 1 {
				r.setError(errs[i])
			}
			_, msg, _ := classify(errs[i])
			if !seen[msg] {
				seen[msg] = true
				distinct = append(distinct, msg)
			}
			continue
		}
		if !haveFirst {
			first, haveFirst = resps[i], true
		}
		if bytes.Equal(resps[i], first) {
			identical++
		}
	}
	r.Concurrent = n
	r.Identical = &identical
	r.Failed = &failed
	r.Errors = &distinct
	r.ResponseHex = hex.EncodeToString(first)
	if failed == 0 {
		r.Ok = identical == n
		if !r.Ok {
			r.Code, r.Message = 2, fmt.Sprintf("%d of %d responses differ from the first", n-identical, n)
		}
	}
}
