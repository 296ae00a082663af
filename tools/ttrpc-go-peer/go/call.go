package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/containerd/ttrpc"
	"github.com/gogo/protobuf/proto"
	"google.golang.org/grpc/status"
)

// maxMessage is ttrpc's frame limit (messageLengthMax = 4 << 20 in channel.go):
// a frame's data, i.e. the encoded Request/Response envelope, may be at most this long.
const maxMessage = 4 << 20

// payloadHexMax: payloadHex is filled only for responses up to this many bytes.
const payloadHexMax = 256

// scenarioTimeout bounds every scenario. It cancels (context.WithCancel plus
// a timer) instead of setting a deadline, so calls that must not carry a
// timeout_nano field do not get one.
const scenarioTimeout = 60 * time.Second

// childEnv marks the supervised child process that really runs a scenario (see runCall).
const childEnv = "TTRPC_GO_PEER_CALL_CHILD"

type callResult struct {
	Scenario    string                 `json:"scenario"`
	Ok          bool                   `json:"ok"`
	Code        int                    `json:"code"`
	Message     string                 `json:"message"`
	PayloadHex  string                 `json:"payloadHex"`
	PayloadLen  int                    `json:"payloadLen"`
	Metadata    []KeyValue             `json:"metadata"`
	TimeoutNano int64                  `json:"timeoutNano"`
	Details     map[string]interface{} `json:"details"`
	ElapsedMs   float64                `json:"elapsedMs"`
}

func newResult(name string) *callResult {
	return &callResult{Scenario: name, Metadata: []KeyValue{}, Details: map[string]interface{}{}}
}

// classify turns a call error into (gRPC code, message, kind). Status errors
// give their code and message; the Go client's local context errors give 4
// (deadline) or 1 (canceled) with the error text; anything else is 2 (Unknown)
// with the error text, as grpc's status.Code would say.
func classify(err error) (int, string, string) {
	if err == nil {
		return 0, "", ""
	}
	if st, ok := status.FromError(err); ok {
		return int(st.Code()), st.Message(), "status"
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return 4, err.Error(), "context"
	case errors.Is(err, context.Canceled):
		return 1, err.Error(), "context"
	}
	return 2, err.Error(), "other"
}

// setError records err in the main fields (plus the full error text and its kind in details).
func (r *callResult) setError(err error) {
	r.Ok = err == nil
	r.Code, r.Message, _ = classify(err)
	if err != nil {
		_, _, kind := classify(err)
		r.Details["errorKind"] = kind
		r.Details["errorText"] = err.Error()
	}
}

func (r *callResult) setResponse(resp *EchoResponse) {
	r.PayloadLen = len(resp.Payload)
	if len(resp.Payload) <= payloadHexMax {
		r.PayloadHex = hex.EncodeToString(resp.Payload)
	}
	for _, kv := range resp.Metadata {
		r.Metadata = append(r.Metadata, *kv)
	}
	r.TimeoutNano = resp.TimeoutNano
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d.Nanoseconds())/1e3) / 1e3
}

// envelopeKey carries a *int through the context; the client interceptor
// stores there the size of the ttrpc Request envelope actually sent.
type envelopeKey struct{}

func recordEnvelope(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, _ *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
	if p, ok := ctx.Value(envelopeKey{}).(*int); ok {
		*p = proto.Size(req)
	}
	return invoker(ctx, req, resp)
}

type scenario struct {
	name string
	run  func(ctx context.Context, c *ttrpc.Client, r *callResult)
	// hasAfter: the scenario makes the follow-up Echo{payload:"after"} call.
	hasAfter bool
	// gateFrames > 0: hold back the client's reads until it has written this many frames.
	gateFrames int
}

var scenarios = []scenario{
	{name: "unary-metadata", run: scenarioUnaryMetadata},
	{name: "deadline-expires", run: scenarioDeadlineExpires},
	{name: "deadline-propagated", run: scenarioDeadlinePropagated},
	{name: "error-status", run: scenarioErrorStatus},
	{name: "unknown-service", run: func(ctx context.Context, c *ttrpc.Client, r *callResult) {
		callOther(ctx, c, r, "nope.Service", echoMethod)
	}},
	{name: "unknown-method", run: func(ctx context.Context, c *ttrpc.Client, r *callResult) {
		callOther(ctx, c, r, echoService, "Nope")
	}},
	{name: "payload-under-max", run: scenarioPayloadUnderMax},
	{name: "payload-over-max", run: scenarioPayloadOverMax, hasAfter: true},
	{name: "response-over-max", run: scenarioResponseOverMax, hasAfter: true},
	{name: "concurrent-200", run: scenarioConcurrent, gateFrames: concurrentCalls},
}

func scenarioNames() string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

func findScenario(name string) *scenario {
	for i := range scenarios {
		if scenarios[i].name == name {
			return &scenarios[i]
		}
	}
	return nil
}

// echo makes one interop.Echo/Echo call and returns the response, the error and the time it took.
func echo(ctx context.Context, c *ttrpc.Client, req *EchoRequest) (*EchoResponse, error, time.Duration) {
	resp := &EchoResponse{}
	start := time.Now()
	err := c.Call(ctx, echoService, echoMethod, req, resp)
	return resp, err, time.Since(start)
}

// echoInto is echo that fills the result's main fields.
func echoInto(ctx context.Context, c *ttrpc.Client, r *callResult, req *EchoRequest) *EchoResponse {
	resp, err, took := echo(ctx, c, req)
	r.ElapsedMs = ms(took)
	r.setError(err)
	if err == nil {
		r.setResponse(resp)
	}
	return resp
}

func scenarioUnaryMetadata(ctx context.Context, c *ttrpc.Client, r *callResult) {
	md := ttrpc.MD{"k1": {"v1"}, "traceparent": {"00-abc-01"}, "multi": {"a", "b"}}
	ctx, cancel := context.WithTimeout(ttrpc.WithMetadata(ctx, md), 10*time.Second)
	defer cancel()
	echoInto(ctx, c, r, &EchoRequest{Payload: []byte("hello")})
	r.Details["deadlineMs"] = 10000
}

func scenarioDeadlineExpires(ctx context.Context, c *ttrpc.Client, r *callResult) {
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	echoInto(ctx, c, r, &EchoRequest{SleepMs: 5000})
	r.Details["deadlineMs"] = 200
	r.Details["sleepMs"] = 5000
}

func scenarioDeadlinePropagated(ctx context.Context, c *ttrpc.Client, r *callResult) {
	ctx, cancel := context.WithTimeout(ctx, 7*time.Second)
	defer cancel()
	echoInto(ctx, c, r, &EchoRequest{})
	r.Details["deadlineMs"] = 7000
}

func scenarioErrorStatus(ctx context.Context, c *ttrpc.Client, r *callResult) {
	echoInto(ctx, c, r, &EchoRequest{FailCode: 5, FailMessage: "sandbox x does not exist"})
}

func callOther(ctx context.Context, c *ttrpc.Client, r *callResult, service, method string) {
	resp := &EchoResponse{}
	start := time.Now()
	err := c.Call(ctx, service, method, &EchoRequest{}, resp)
	r.ElapsedMs = ms(time.Since(start))
	r.setError(err)
	if err == nil {
		r.setResponse(resp)
	}
	r.Details["service"] = service
	r.Details["method"] = method
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// lenField is the encoded size of a LEN field (tag < 16, so one tag byte) with n bytes of content.
func lenField(n int) int { return 1 + varintLen(uint64(n)) + n }

// underMaxPayloadSize finds N such that the ttrpc Request envelope of
// Echo{payload: N bytes, response_size: 1024}, with no deadline and no
// metadata, is exactly maxMessage (4194304) bytes:
//
//	envelope = service field   1 + 1 + 12 ("interop.Echo")       = 14
//	         + method field    1 + 1 + 4  ("Echo")               =  6
//	         + payload field   1 + varint(P) + P
//	P (EchoRequest)  = payload field 1 + varint(N) + N
//	                 + response_size field 1 + varint(1024)=2     =  3
//
//	4194304 - 14 - 6 = 4194284 = 1 + varint(P) + P; P is between 2^21 and 2^28, so varint(P) = 4
//	                             and P = 4194279
//	P - 3 = 4194276 = 1 + varint(N) + N; varint(N) = 4, so N = 4194271.
//
// The search below does the same arithmetic; the scenario checks the result
// against the size of the envelope the client really sent.
func underMaxPayloadSize(responseSize int64) int {
	fixed := lenField(len(echoService)) + lenField(len(echoMethod))
	extra := 1 + varintLen(uint64(responseSize)) // response_size field
	for n := maxMessage; n > 0; n-- {
		p := lenField(n) + extra
		if fixed+lenField(p) == maxMessage {
			return n
		}
	}
	return -1
}

func scenarioPayloadUnderMax(ctx context.Context, c *ttrpc.Client, r *callResult) {
	const responseSize = 1024
	n := underMaxPayloadSize(responseSize)
	sent := 0
	ctx = context.WithValue(ctx, envelopeKey{}, &sent)
	resp := echoInto(ctx, c, r, &EchoRequest{Payload: bytes.Repeat([]byte{'x'}, n), ResponseSize: responseSize})
	r.Details["requestPayloadBytes"] = n
	r.Details["requestEnvelopeBytes"] = sent
	r.Details["requestFrameBytes"] = sent + 10
	if r.Ok {
		r.Details["responsePatternOk"] = len(resp.Payload) == responseSize && isPattern(resp.Payload)
	}
}

// after makes the follow-up Echo{payload:"after"} on the same client.
func after(ctx context.Context, c *ttrpc.Client, r *callResult) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err, took := echo(ctx, c, &EchoRequest{Payload: []byte("after")})
	code, msg, _ := classify(err)
	r.Details["afterAttempted"] = true
	r.Details["afterOk"] = err == nil
	r.Details["afterCode"] = code
	r.Details["afterMessage"] = msg
	r.Details["afterPayloadHex"] = ""
	if err == nil {
		r.Details["afterPayloadHex"] = hex.EncodeToString(resp.Payload)
	}
	r.Details["afterElapsedMs"] = ms(took)
}

func scenarioPayloadOverMax(ctx context.Context, c *ttrpc.Client, r *callResult) {
	sent := 0
	octx := context.WithValue(ctx, envelopeKey{}, &sent)
	echoInto(octx, c, r, &EchoRequest{Payload: bytes.Repeat([]byte{'x'}, maxMessage)})
	r.Details["requestPayloadBytes"] = maxMessage
	r.Details["requestEnvelopeBytes"] = sent
	after(ctx, c, r)
}

func scenarioResponseOverMax(ctx context.Context, c *ttrpc.Client, r *callResult) {
	const responseSize = 4194400
	// Response envelope the server has to send: EchoResponse = 1 + 4 + 4194400 = 4194405
	// bytes (no metadata, no deadline), wrapped as Response.payload: 1 + 4 + 4194405 = 4194410.
	r.Details["responseSize"] = responseSize
	r.Details["responseEnvelopeBytes"] = lenField(lenField(responseSize))
	resp := echoInto(ctx, c, r, &EchoRequest{ResponseSize: responseSize})
	if r.Ok {
		r.Details["responsePatternOk"] = len(resp.Payload) == responseSize && isPattern(resp.Payload)
	}
	after(ctx, c, r)
}

const concurrentCalls = 200

// scenarioConcurrent runs 200 calls at once on the one client. The client's
// connection is a gatedConn (see runCallChild), so all 200 Request frames are
// written before the client reads the first Response.
func scenarioConcurrent(ctx context.Context, c *ttrpc.Client, r *callResult) {
	const calls = concurrentCalls
	var (
		wg                  sync.WaitGroup
		matched, failed     int64
		inFlight, maxFlight int64
		errMu               sync.Mutex
		firstErr            error
		gate                = make(chan struct{})
	)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			want := []byte(fmt.Sprintf("call-%d", i))
			<-gate // release all goroutines together
			n := atomic.AddInt64(&inFlight, 1)
			for {
				m := atomic.LoadInt64(&maxFlight)
				if n <= m || atomic.CompareAndSwapInt64(&maxFlight, m, n) {
					break
				}
			}
			resp, err, _ := echo(ctx, c, &EchoRequest{Payload: want})
			atomic.AddInt64(&inFlight, -1)
			switch {
			case err != nil:
				atomic.AddInt64(&failed, 1)
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
			case bytes.Equal(resp.Payload, want):
				atomic.AddInt64(&matched, 1)
			}
		}(i)
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	r.ElapsedMs = ms(time.Since(start))
	r.Ok = matched == calls
	r.Details["calls"] = calls
	r.Details["matched"] = matched
	r.Details["failed"] = failed
	r.Details["maxInFlight"] = maxFlight
	if firstErr != nil {
		r.Details["firstError"] = firstErr.Error()
		r.Code, r.Message, _ = classify(firstErr)
	}
}

func printJSON(v interface{}) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer: encoding JSON: %v\n", err)
	}
}

type callFlags struct {
	ep       endpoint
	scenario string
}

func parseCallFlags(args []string) (*callFlags, bool) {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	cf := &callFlags{}
	cf.ep.register(fs, true)
	fs.StringVar(&cf.scenario, "scenario", "", "scenario: "+scenarioNames())
	if !parseFlags(fs, args) {
		return nil, false
	}
	if err := cf.ep.validate(true); err != nil {
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer call: %v\n", err)
		return nil, false
	}
	if findScenario(cf.scenario) == nil {
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer call: --scenario must be one of: %s\n", scenarioNames())
		return nil, false
	}
	return cf, true
}

// runCall supervises: it re-runs this executable as a child that does the
// real work and passes the child's JSON through. ttrpc 1.1.1's client can
// panic inside its own receive goroutine (an incoming frame over 4 MiB makes
// it slice a nil buffer), which no recover() in this program can catch; the
// supervisor turns such a crash into the scenario's JSON result instead.
func runCall(args []string) int {
	if os.Getenv(childEnv) == "1" {
		return runCallChild(args)
	}
	cf, ok := parseCallFlags(args)
	if !ok {
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		return fail("finding own executable: %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(exe, append([]string{"call"}, args...)...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	// If this supervisor is killed, take the child down with it. Pdeathsig is
	// tied to the forking OS thread, so keep this goroutine on its thread.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)

	if runErr == nil {
		_, _ = io.Copy(os.Stdout, &stdout)
		_, _ = io.Copy(os.Stderr, &stderr)
		return 0
	}
	var exitErr *exec.ExitError
	if !errors.As(runErr, &exitErr) {
		return fail("running scenario child: %v", runErr)
	}
	childErr := stderr.String()
	crash := panicText(childErr)
	if crash == "" {
		// The child could not run (e.g. could not connect): pass its output and exit code on.
		_, _ = io.Copy(os.Stdout, &stdout)
		_, _ = io.Copy(os.Stderr, &stderr)
		if code := exitErr.ExitCode(); code > 0 {
			return code
		}
		return 1
	}
	// Keep the full panic trace on stderr for whoever reads the logs.
	_, _ = io.Copy(os.Stderr, &stderr)

	r := newResult(cf.scenario)
	r.Code = 2
	r.Message = "client process crashed: " + crash
	r.ElapsedMs = ms(wall)
	r.Details["clientCrashed"] = true
	r.Details["panic"] = crash
	r.Details["panicFunction"], r.Details["panicLocation"] = panicFrame(childErr)
	r.Details["elapsedIsChildProcessWallTime"] = true
	if findScenario(cf.scenario).hasAfter {
		r.Details["afterAttempted"] = false
		r.Details["afterOk"] = false
		r.Details["afterCode"] = 0
		r.Details["afterMessage"] = "not attempted: the client process crashed"
		r.Details["afterPayloadHex"] = ""
	}
	// The client is gone; check with a fresh connection whether the server survived.
	freshAfter(&cf.ep, r)
	printJSON(r)
	return 0
}

// panicText returns the "panic: ..." or "fatal error: ..." line of a Go crash, or "".
func panicText(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// panicFrame returns the innermost function of the crashing goroutine's stack and its file:line.
func panicFrame(stderr string) (string, string) {
	lines := strings.Split(stderr, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "goroutine ") && i+2 < len(lines) {
			loc := strings.TrimSpace(lines[i+2])
			if j := strings.LastIndex(loc, " +0x"); j > 0 {
				loc = loc[:j]
			}
			return strings.TrimSpace(lines[i+1]), loc
		}
	}
	return "", ""
}

func freshAfter(ep *endpoint, r *callResult) {
	conn, err := ep.dial(10 * time.Second)
	if err != nil {
		r.Details["freshClientAfterOk"] = false
		r.Details["freshClientAfterMessage"] = "connect: " + err.Error()
		return
	}
	c := ttrpc.NewClient(conn)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err, _ := echo(ctx, c, &EchoRequest{Payload: []byte("after")})
	_, msg, _ := classify(err)
	r.Details["freshClientAfterOk"] = err == nil
	r.Details["freshClientAfterMessage"] = msg
	if err == nil {
		r.Details["freshClientAfterPayloadHex"] = hex.EncodeToString(resp.Payload)
	}
}

func runCallChild(args []string) int {
	cf, ok := parseCallFlags(args)
	if !ok {
		return 2
	}
	conn, err := cf.ep.dial(10 * time.Second)
	if err != nil {
		return fail("connect: %v", err)
	}
	sc := findScenario(cf.scenario)
	var gated *gatedConn
	if sc.gateFrames > 0 {
		gated = newGatedConn(conn, sc.gateFrames, 10*time.Second)
		conn = gated
	}
	c := ttrpc.NewClient(conn, ttrpc.WithUnaryClientInterceptor(recordEnvelope))
	defer c.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watchdog := time.AfterFunc(scenarioTimeout, cancel)
	defer watchdog.Stop()

	r := newResult(cf.scenario)
	sc.run(ctx, c, r)
	if gated != nil {
		r.Details["requestsWrittenBeforeFirstRead"] = gated.readGateFrames()
	}
	printJSON(r)
	return 0
}
