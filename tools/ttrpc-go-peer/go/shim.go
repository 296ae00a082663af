package main

// The shim command: plays the kata shim (containerd-shim-kata-v2 with the
// remote hypervisor) against a cloud-api-adaptor daemon. Hypervisor calls as
// in kata's virtcontainers/remote.go: a new unix connection per call, no
// client options, no metadata.

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/containerd/ttrpc"
)

// stepResult is the common part of every step's JSON result.
type stepResult struct {
	Ok      bool   `json:"ok"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	// ErrorKind (status, context, dial, other) and ErrorText (full Go error text) are set on errors.
	ErrorKind string  `json:"errorKind,omitempty"`
	ErrorText string  `json:"errorText,omitempty"`
	ElapsedMs float64 `json:"elapsedMs"`
}

func (s *stepResult) setError(err error) {
	s.Ok = err == nil
	s.Code, s.Message, s.ErrorKind = classify(err)
	if err != nil {
		s.ErrorText = err.Error()
	}
}

type versionResult struct {
	stepResult
	Version string `json:"version"`
}

type createVMResult struct {
	stepResult
	AgentSocketPath string `json:"agentSocketPath"`
	// RequestHex is the CreateVMRequest payload sent.
	RequestHex string `json:"requestHex"`
}

type startVMResult struct {
	stepResult
	TimeoutS float64 `json:"timeoutS"`
}

type shimOutput struct {
	Version    *versionResult     `json:"version,omitempty"`
	CreateVM   *createVMResult    `json:"createVM,omitempty"`
	StartVM    *startVMResult     `json:"startVM,omitempty"`
	AgentDial  *agentDialResult   `json:"agentDial,omitempty"`
	AgentCalls []*agentCallResult `json:"agentCalls,omitempty"`
	StopVM     *stepResult        `json:"stopVM,omitempty"`
}

// annotationFlag collects repeated --annotation KEY=VALUE.
type annotationFlag map[string]string

func (a annotationFlag) String() string { return fmt.Sprint(map[string]string(a)) }
func (a annotationFlag) Set(v string) error {
	i := strings.IndexByte(v, '=')
	if i <= 0 {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	a[v[:i]] = v[i+1:]
	return nil
}

type shimFlags struct {
	socket        string
	id            string
	annotations   annotationFlag
	netns         string
	startTimeoutS float64
	agentCalls    string
	agentDialS    float64
	skipStart     bool
	skipStop      bool
	stopOnly      bool
}

func parseShimFlags(args []string) (*shimFlags, bool) {
	fs := flag.NewFlagSet("shim", flag.ContinueOnError)
	sf := &shimFlags{annotations: annotationFlag{}}
	fs.StringVar(&sf.socket, "socket", "", "hypervisor socket of the cloud-api-adaptor daemon")
	fs.StringVar(&sf.id, "id", "", "sandbox ID")
	fs.Var(sf.annotations, "annotation", "KEY=VALUE for CreateVMRequest.annotations (repeatable)")
	fs.StringVar(&sf.netns, "netns", "", "CreateVMRequest.networkNamespacePath")
	fs.Float64Var(&sf.startTimeoutS, "start-timeout-s", 600, "StartVM deadline in seconds (0: none)")
	fs.StringVar(&sf.agentCalls, "agent-calls", "", "JSON file of agent calls to make after StartVM")
	fs.Float64Var(&sf.agentDialS, "agent-dial-timeout-s", 30, "how long to retry dialing the agent socket")
	fs.BoolVar(&sf.skipStart, "skip-start", false, "do not call StartVM")
	fs.BoolVar(&sf.skipStop, "skip-stop", false, "do not call StopVM")
	fs.BoolVar(&sf.stopOnly, "stop-only", false, "only call StopVM")
	if !parseFlags(fs, args) {
		return nil, false
	}
	if sf.socket == "" || sf.id == "" {
		fmt.Fprintln(os.Stderr, "ttrpc-go-peer shim: --socket and --id are required")
		return nil, false
	}
	if sf.startTimeoutS < 0 || sf.agentDialS < 0 {
		fmt.Fprintln(os.Stderr, "ttrpc-go-peer shim: timeouts cannot be negative")
		return nil, false
	}
	return sf, true
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// hypervisorCall opens a new connection, makes one call and closes the connection.
func hypervisorCall(ctx context.Context, socket, method string, req, resp interface{}) (r stepResult) {
	start := time.Now()
	defer func() { r.ElapsedMs = ms(time.Since(start)) }()
	conn, err := net.Dial("unix", socket)
	if err != nil {
		r.setError(err)
		r.ErrorKind = "dial"
		return r
	}
	c := ttrpc.NewClient(conn)
	err = c.Call(ctx, hypervisorService, method, req, resp)
	// Client.Close only signals the client's goroutine, which closes the
	// connection later; close it here too so the peer sees EOF right away.
	c.Close()
	conn.Close()
	r.setError(err)
	return r
}

func runShim(args []string) int {
	sf, ok := parseShimFlags(args)
	if !ok {
		return 2
	}
	var calls []agentCall
	if sf.agentCalls != "" && !sf.stopOnly {
		var err error
		if calls, err = readAgentCalls(sf.agentCalls); err != nil {
			return fail("shim: --agent-calls: %v", err)
		}
	}
	out := &shimOutput{}
	bg := context.Background()
	if sf.stopOnly {
		out.StopVM = stopVM(bg, sf)
		printJSON(out)
		return 0
	}

	// 1. Version (kata itself never calls it).
	v := &VersionMessage{}
	out.Version = &versionResult{stepResult: hypervisorCall(bg, sf.socket, "Version", &VersionMessage{Version: "0.1.0"}, v)}
	out.Version.Version = v.Version

	// 2. CreateVM, no deadline (the shim's long-lived service context).
	out.CreateVM = createVM(bg, sf)
	if !out.CreateVM.Ok {
		printJSON(out)
		return 0
	}

	// 3. StartVM with its deadline.
	if !sf.skipStart {
		ctx, cancel := bg, context.CancelFunc(func() {})
		if sf.startTimeoutS > 0 {
			ctx, cancel = context.WithTimeout(bg, seconds(sf.startTimeoutS))
		}
		out.StartVM = &startVMResult{
			stepResult: hypervisorCall(ctx, sf.socket, "StartVM", &VMIDRequest{Id: sf.id}, &EmptyResponse{}),
			TimeoutS:   sf.startTimeoutS,
		}
		cancel()
	}

	// 4. Agent calls on one long-lived connection, kept open across StopVM.
	var agent *ttrpc.Client
	var agentConn net.Conn
	if calls != nil && (out.StartVM == nil || out.StartVM.Ok) {
		agentConn, out.AgentDial = dialAgent(out.CreateVM.AgentSocketPath, seconds(sf.agentDialS))
		if agentConn != nil {
			agent = ttrpc.NewClient(agentConn)
		}
		out.AgentCalls = runAgentCalls(agent, calls, out.AgentDial)
	}

	// 5. StopVM (kata also stops the VM after a failed StartVM).
	if !sf.skipStop {
		out.StopVM = stopVM(bg, sf)
	}
	if agent != nil {
		agent.Close()
		agentConn.Close()
	}
	printJSON(out)
	return 0
}

func createVM(ctx context.Context, sf *shimFlags) *createVMResult {
	req := &CreateVMRequest{Id: sf.id, Annotations: map[string]string{}, NetworkNamespacePath: sf.netns}
	for _, k := range kataAnnotations {
		req.Annotations[k] = ""
	}
	for k, v := range sf.annotations {
		req.Annotations[k] = v
	}
	payload, _ := req.Marshal()
	resp := &CreateVMResponse{}
	r := &createVMResult{stepResult: hypervisorCall(ctx, sf.socket, "CreateVM", req, resp), RequestHex: hex.EncodeToString(payload)}
	r.AgentSocketPath = resp.AgentSocketPath
	if r.Ok && r.AgentSocketPath == "" {
		r.setError(errors.New("remote hypervisor does not return tunnel socket path"))
	}
	return r
}

func stopVM(ctx context.Context, sf *shimFlags) *stepResult {
	r := hypervisorCall(ctx, sf.socket, "StopVM", &VMIDRequest{Id: sf.id}, &EmptyResponse{})
	return &r
}
