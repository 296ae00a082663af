package main

import (
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// gatedConn holds back the client's reads until it has written `want`
// complete ttrpc frames (or until a safety timeout), so that every request of
// a batch is on the wire before the client reads any response: the calls are
// truly in flight together no matter how fast the server answers.
//
// Only the ttrpc client's single sender goroutine writes, so the parsing
// state needs no lock; the frame count is atomic because the gate's timer and
// the scenario read it.
type gatedConn struct {
	net.Conn
	want     int64
	frames   int64 // atomic
	hdr      [10]byte
	hdrFill  int
	bodyLeft uint32
	gate     chan struct{}
	once     sync.Once
	// atRelease is the number of frames written when the gate opened.
	atRelease int64
}

func newGatedConn(c net.Conn, want int, timeout time.Duration) *gatedConn {
	g := &gatedConn{Conn: c, want: int64(want), gate: make(chan struct{})}
	time.AfterFunc(timeout, g.release)
	return g
}

func (g *gatedConn) release() {
	g.once.Do(func() {
		g.atRelease = atomic.LoadInt64(&g.frames)
		close(g.gate)
	})
}

// readGateFrames is how many frames had been written when reads were let through.
func (g *gatedConn) readGateFrames() int64 {
	<-g.gate
	return g.atRelease
}

func (g *gatedConn) Read(p []byte) (int, error) {
	<-g.gate
	return g.Conn.Read(p)
}

func (g *gatedConn) Write(p []byte) (int, error) {
	n, err := g.Conn.Write(p)
	g.count(p[:n])
	return n, err
}

func (g *gatedConn) count(b []byte) {
	for len(b) > 0 {
		if g.hdrFill < len(g.hdr) {
			c := copy(g.hdr[g.hdrFill:], b)
			g.hdrFill += c
			b = b[c:]
			if g.hdrFill == len(g.hdr) {
				g.bodyLeft = binary.BigEndian.Uint32(g.hdr[:4])
				if g.bodyLeft == 0 {
					g.frameDone()
				}
			}
			continue
		}
		take := uint32(len(b))
		if take > g.bodyLeft {
			take = g.bodyLeft
		}
		g.bodyLeft -= take
		b = b[take:]
		if g.bodyLeft == 0 {
			g.frameDone()
		}
	}
}

func (g *gatedConn) frameDone() {
	g.hdrFill = 0
	if atomic.AddInt64(&g.frames, 1) == g.want {
		g.release()
	}
}
