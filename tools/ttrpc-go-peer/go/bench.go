package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/ttrpc"
)

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

type benchResult struct {
	Calls       int     `json:"calls"`
	Seconds     float64 `json:"seconds"`
	CallsPerSec float64 `json:"callsPerSec"`
	P50us       float64 `json:"p50us"`
	P99us       float64 `json:"p99us"`
	Concurrency int     `json:"concurrency"`
	Size        int     `json:"size"`
	Errors      int     `json:"errors"`
}

// worker state is owned by one goroutine; nothing is shared in the hot path
// except the phase flag, which is only read.
type benchWorker struct {
	latencies []time.Duration
	errors    int
}

func runBench(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var ep endpoint
	ep.register(fs, true)
	concurrency := fs.Int("concurrency", 0, "goroutines calling back to back on the one connection")
	size := fs.Int("size", -1, "payload bytes per call (echoed back)")
	durationMs := fs.Int("duration-ms", 3000, "measured period in ms")
	warmupMs := fs.Int("warmup-ms", 500, "discarded warm-up period in ms")
	if !parseFlags(fs, args) {
		return 2
	}
	if err := ep.validate(true); err != nil {
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer bench: %v\n", err)
		return 2
	}
	if *concurrency < 1 || *size < 0 || *durationMs < 1 || *warmupMs < 0 {
		fmt.Fprintln(os.Stderr, "ttrpc-go-peer bench: need --concurrency >= 1, --size >= 0, --duration-ms >= 1, --warmup-ms >= 0")
		return 2
	}

	conn, err := ep.dial(10 * time.Second)
	if err != nil {
		return fail("connect: %v", err)
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()

	payload := bytes.Repeat([]byte{0xa5}, *size)
	var phase int32 // phaseWarmup
	workers := make([]*benchWorker, *concurrency)
	var wg sync.WaitGroup
	ctx := context.Background()
	for i := range workers {
		w := &benchWorker{latencies: make([]time.Duration, 0, 1<<14)}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &EchoRequest{Payload: payload}
			resp := &EchoResponse{}
			for {
				before := atomic.LoadInt32(&phase)
				if before == phaseStop {
					return
				}
				start := time.Now()
				err := client.Call(ctx, echoService, echoMethod, req, resp)
				took := time.Since(start)
				if err != nil || len(resp.Payload) != len(payload) {
					w.errors++
					if err == ttrpc.ErrClosed {
						return
					}
					continue
				}
				// Count only calls that started and ended inside the measured period.
				if before == phaseMeasure && atomic.LoadInt32(&phase) == phaseMeasure {
					w.latencies = append(w.latencies, took)
				}
			}
		}()
	}

	time.Sleep(time.Duration(*warmupMs) * time.Millisecond)
	measureStart := time.Now()
	atomic.StoreInt32(&phase, phaseMeasure)
	time.Sleep(time.Duration(*durationMs) * time.Millisecond)
	atomic.StoreInt32(&phase, phaseStop)
	measured := time.Since(measureStart)
	wg.Wait()

	var all []time.Duration
	errs := 0
	for _, w := range workers {
		all = append(all, w.latencies...)
		errs += w.errors
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res := benchResult{
		Calls:       len(all),
		Seconds:     round(measured.Seconds(), 3),
		CallsPerSec: round(float64(len(all))/measured.Seconds(), 1),
		P50us:       percentileUs(all, 0.50),
		P99us:       percentileUs(all, 0.99),
		Concurrency: *concurrency,
		Size:        *size,
		Errors:      errs,
	}
	printJSON(res)
	if errs > 0 {
		fmt.Fprintf(os.Stderr, "ttrpc-go-peer bench: %d calls failed\n", errs)
	}
	return 0
}

// percentileUs is the nearest-rank percentile of sorted latencies, in microseconds.
func percentileUs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	if rank < 0 {
		rank = 0
	}
	return round(float64(sorted[rank].Nanoseconds())/1e3, 1)
}

func round(v float64, digits int) float64 {
	f := math.Pow(10, float64(digits))
	return math.Round(v*f) / f
}
