// gopeer: a go-libp2p node (TCP, Noise, yamux only) that speaks
// /serai/coordinator/1.0.0 like the connector and t/p2p/peer.mjs: frames
// are uvarint-length-prefixed, kind(1) || intent(32) || rest; kind 1 MSG
// (rest = payload), 2 ACK, 3 REJECT (rest = reason byte).  Every MSG
// received is answered with an ACK on the same stream.
//
//	gopeer --seed HEX [--listen MA] [--dial MA] [--send N] [--size BYTES]
//	       [--ping N] [--expect N] [--exit] [--timeout SECS] [--quiet]
//	       [--reset-after N] [--read-delay MS] [--print-id]
//
// --expect counts distinct intents received.  --reset-after N resets the
// stream it receives on after its Nth message (once), acknowledging that
// one first.  --read-delay MS reads nothing on the stream it sends on for
// the first MS milliseconds (a peer that does not read its acks).
//
// One line per event on stdout, as peer.mjs prints them:
//
//	listening MA | connected PEER | recv PEER INTENT LEN TEXT | ack PEER
//	INTENT | reject PEER INTENT REASON | pong PEER RTT | reset PEER N |
//	closed PEER | lost ... | timeout ... | done MS
package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

const (
	proto  = "/serai/coordinator/1.0.0"
	msg    = 1
	ack    = 2
	reject = 3
	maxLen = 8 * 1024 * 1024
)

var (
	opt struct {
		seed, listen, dial            string
		send, size, ping, expect      int
		timeout, resetAfter, readWait int
		exit, quiet, printID          bool
	}
	mu       sync.Mutex
	stdout   = bufio.NewWriter(os.Stdout)
	acked    = map[string]bool{}
	recvd    = map[string]bool{}
	nrecv    int
	pongs    int
	finished bool
	tFirst   time.Time
	tLast    time.Time
	node     host.Host
)

func out(format string, a ...any) {
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(stdout, format+"\n", a...)
	stdout.Flush()
}

func frame(kind byte, intent []byte, rest []byte) []byte {
	n := 33 + len(rest)
	b := binary.AppendUvarint(nil, uint64(n))
	b = append(b, kind)
	b = append(b, intent...)
	return append(b, rest...)
}

// check: everything asked for happened; exit when told to.
func check() {
	mu.Lock()
	done := !finished && len(acked) >= opt.send && pongs >= opt.ping &&
		len(recvd) >= opt.expect
	if done && opt.exit {
		finished = true
	}
	ms := tLast.Sub(tFirst).Milliseconds()
	mu.Unlock()
	if !done || !opt.exit {
		return
	}
	if ms < 0 {
		ms = 0
	}
	out("done %d", ms)
	go func() {
		time.Sleep(200 * time.Millisecond)
		node.Close()
		os.Exit(0)
	}()
}

// serve reads frames from a coordinator stream, acknowledging every MSG.
func serve(s network.Stream, delay time.Duration) {
	p := s.Conn().RemotePeer().String()
	var wmu sync.Mutex
	if delay > 0 {
		time.Sleep(delay)
	}
	r := bufio.NewReaderSize(s, 256*1024)
	w := bufio.NewWriter(s)
	for {
		l, err := binary.ReadUvarint(r)
		if err != nil {
			if err != io.EOF {
				out("stream-error %s %v", p, err)
			}
			s.Close()
			return
		}
		if l < 33 || l > maxLen {
			out("bad-frame %s length %d", p, l)
			s.Reset()
			return
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(r, b); err != nil {
			out("stream-error %s %v", p, err)
			s.Reset()
			return
		}
		intent := hex.EncodeToString(b[1:33])
		switch b[0] {
		case msg:
			body := b[33:]
			t := body
			if len(t) > 60 {
				t = t[:60]
			}
			text := strings.Map(func(c rune) rune {
				if c < 0x20 || c > 0x7e {
					return '.'
				}
				return c
			}, string(t))
			if !opt.quiet {
				out("recv %s %s %d %s", p, intent, len(body), text)
			}
			mu.Lock()
			recvd[intent] = true
			nrecv++
			k := nrecv
			mu.Unlock()
			wmu.Lock()
			_, err = w.Write(frame(ack, b[1:33], nil))
			if err == nil && r.Buffered() == 0 {
				err = w.Flush()
			}
			wmu.Unlock()
			if err != nil {
				out("stream-error %s %v", p, err)
				s.Reset()
				return
			}
			if opt.resetAfter > 0 && k == opt.resetAfter {
				w.Flush()
				out("reset %s %d", p, k)
				s.Reset()
				check()
				return
			}
		case ack:
			if !opt.quiet {
				out("ack %s %s", p, intent)
			}
			mu.Lock()
			acked[intent] = true
			tLast = time.Now()
			mu.Unlock()
		case reject:
			out("reject %s %s %d", p, intent, b[33])
			mu.Lock()
			acked[intent] = true
			mu.Unlock()
		default:
			out("bad-frame %s kind %d", p, b[0])
		}
		check()
	}
}

func sendAll(s network.Stream) error {
	w := bufio.NewWriterSize(s, 64*1024)
	for i := 0; i < opt.send; i++ {
		body := []byte(fmt.Sprintf("message %d from go %s", i, node.ID()))
		if opt.size > len(body) {
			b := make([]byte, opt.size)
			for k := range b {
				b[k] = 'x'
			}
			copy(b, body)
			body = b
		}
		h := body
		if len(h) > 128 {
			h = h[:128]
		}
		sum := sha256.Sum256(h)
		if _, err := w.Write(frame(msg, sum[:], body)); err != nil {
			return err
		}
	}
	return w.Flush()
}

func main() {
	flag.StringVar(&opt.seed, "seed", "", "Ed25519 seed, 64 hex digits")
	flag.StringVar(&opt.listen, "listen", "", "multiaddr to listen on")
	flag.StringVar(&opt.dial, "dial", "", "multiaddr to dial (with /p2p/)")
	flag.IntVar(&opt.send, "send", 0, "messages to send")
	flag.IntVar(&opt.size, "size", 0, "message size")
	flag.IntVar(&opt.ping, "ping", 0, "pings to send")
	flag.IntVar(&opt.expect, "expect", 0, "distinct messages to receive")
	flag.IntVar(&opt.timeout, "timeout", 30, "seconds before giving up")
	flag.IntVar(&opt.resetAfter, "reset-after", 0, "reset the stream "+
		"received on after this many messages")
	flag.IntVar(&opt.readWait, "read-delay", 0, "ms before reading acks")
	flag.BoolVar(&opt.exit, "exit", false, "exit when done")
	flag.BoolVar(&opt.quiet, "quiet", false, "no recv/ack lines")
	flag.BoolVar(&opt.printID, "print-id", false, "print the PeerId")
	flag.Parse()
	if flag.NArg() != 0 || len(opt.seed) != 64 {
		fmt.Fprintln(os.Stderr, "gopeer: need --seed HEX (64 digits)")
		os.Exit(100)
	}
	seed, err := hex.DecodeString(opt.seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopeer: --seed:", err)
		os.Exit(100)
	}
	sk, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopeer:", err)
		os.Exit(100)
	}
	if opt.printID {
		id, _ := peer.IDFromPrivateKey(sk)
		fmt.Println(id)
		return
	}
	if opt.listen == "" && opt.dial == "" {
		fmt.Fprintln(os.Stderr, "gopeer: need --listen or --dial")
		os.Exit(100)
	}
	opts := []libp2p.Option{
		libp2p.Identity(sk),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(&network.NullResourceManager{}),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
	}
	if opt.listen != "" {
		opts = append(opts, libp2p.ListenAddrStrings(opt.listen))
	} else {
		opts = append(opts, libp2p.NoListenAddrs)
	}
	node, err = libp2p.New(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopeer:", err)
		os.Exit(111)
	}
	node.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			out("connected %s", c.RemotePeer())
		},
		DisconnectedF: func(_ network.Network, c network.Conn) {
			out("closed %s", c.RemotePeer())
			mu.Lock()
			lost := opt.exit && opt.dial != "" && !finished
			line := fmt.Sprintf("lost acked=%d pongs=%d recvd=%d",
				len(acked), pongs, len(recvd))
			mu.Unlock()
			if lost {
				out("%s", line)
				go func() {
					time.Sleep(100 * time.Millisecond)
					os.Exit(111)
				}()
			}
		},
	})
	node.SetStreamHandler(proto, func(s network.Stream) {
		serve(s, 0)
	})
	go func() {
		time.Sleep(time.Duration(opt.timeout) * time.Second)
		mu.Lock()
		line := fmt.Sprintf("timeout acked=%d pongs=%d recvd=%d",
			len(acked), pongs, len(recvd))
		mu.Unlock()
		out("%s", line)
		node.Close()
		os.Exit(111)
	}()
	for _, a := range node.Addrs() {
		out("listening %s/p2p/%s", a, node.ID())
	}
	if opt.dial != "" {
		dial()
	}
	check()
	select {}
}

func dial() {
	ctx := context.Background()
	m, err := ma.NewMultiaddr(opt.dial)
	if err == nil {
		var ai *peer.AddrInfo
		if ai, err = peer.AddrInfoFromP2pAddr(m); err == nil {
			err = node.Connect(ctx, *ai)
			if err == nil {
				dialled(ctx, ai.ID)
				return
			}
		}
	}
	out("dial-error %v", err)
	node.Close()
	os.Exit(111)
}

func dialled(ctx context.Context, id peer.ID) {
	p := id.String()
	if opt.send > 0 {
		s, err := node.NewStream(ctx, id, proto)
		if err != nil {
			out("stream-error %s %v", p, err)
			node.Close()
			os.Exit(111)
		}
		mu.Lock()
		tFirst = time.Now()
		mu.Unlock()
		go serve(s, time.Duration(opt.readWait)*time.Millisecond)
		go func() {
			if err := sendAll(s); err != nil {
				out("stream-error %s %v", p, err)
			}
		}()
	}
	for i := 0; i < opt.ping; i++ {
		res := <-ping.Ping(ctx, node, id)
		if res.Error != nil {
			out("ping-error %s %v", p, res.Error)
			continue
		}
		out("pong %s %d", p, res.RTT.Milliseconds())
		mu.Lock()
		pongs++
		mu.Unlock()
	}
}
