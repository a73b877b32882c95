// peer.mjs: a js-libp2p node (libp2p 2.x, noise, yamux, tcp, ping) that
// speaks /serai/coordinator/1.0.0 like the connector: frames are
// uvarint-length-prefixed, kind(1) || intent(32) || rest; kind 1 MSG (rest
// = payload), 2 ACK, 3 REJECT (rest = reason byte).  Every MSG received is
// answered with an ACK on the same stream.
//
//   node peer.mjs --seed HEX [--listen MA] [--dial MA] [--send N]
//                 [--size BYTES] [--ping N] [--expect N] [--exit]
//                 [--timeout SECS] [--quiet] [--lockstep]
//
// --lockstep sends one message at a time (the next after the ack) and
// prints "latency p50 US p99 US" at the end.
//
// Prints one line per event on stdout, like p2ptool:
//   listening MA | connected PEER | recv PEER INTENT LEN TEXT | ack PEER
//   INTENT | pong PEER RTT | closed PEER | dial-error MESSAGE | done
import './polyfill.mjs'
import { createHash } from 'node:crypto'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { ping } from '@libp2p/ping'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import * as lp from 'it-length-prefixed'
import { pipe } from 'it-pipe'
import { pushable } from 'it-pushable'

const PROTO = '/serai/coordinator/1.0.0'
const MSG = 1
const ACK = 2
const REJECT = 3

const out = (s) => process.stdout.write(s + '\n')
const opt = { send: 0, ping: 0, expect: 0, size: 0, timeout: 30 }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]
  const v = () => argv[++i]
  switch (a) {
    case '--seed': opt.seed = v(); break
    case '--listen': opt.listen = v(); break
    case '--dial': opt.dial = v(); break
    case '--send': opt.send = Number(v()); break
    case '--size': opt.size = Number(v()); break
    case '--ping': opt.ping = Number(v()); break
    case '--expect': opt.expect = Number(v()); break
    case '--timeout': opt.timeout = Number(v()); break
    case '--exit': opt.exit = true; break
    case '--quiet': opt.quiet = true; break
    case '--print-id': opt.printId = true; break
    case '--lockstep': opt.lockstep = true; break
    default:
      console.error(`peer.mjs: unknown option ${a}`)
      process.exit(100)
  }
}
if (opt.seed && opt.printId) {
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  const key = await generateKeyPairFromSeed('Ed25519',
    Uint8Array.from(Buffer.from(opt.seed, 'hex')))
  out(peerIdFromPrivateKey(key).toString())
  process.exit(0)
}
if (!opt.seed || (!opt.listen && !opt.dial)) {
  console.error('peer.mjs: need --seed and --listen or --dial')
  process.exit(100)
}

const hex = (b) => Buffer.from(b).toString('hex')
const stats = { acked: 0, pongs: 0, recvd: 0, tFirst: 0, tLast: 0, lat: [], tSent: 0n }
let sendNext
let finished = false

const privateKey = await generateKeyPairFromSeed('Ed25519',
  Uint8Array.from(Buffer.from(opt.seed, 'hex')))
const node = await createLibp2p({
  privateKey,
  addresses: { listen: opt.listen ? [opt.listen] : [] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { ping: ping() },
  connectionMonitor: { enabled: false }
})

node.addEventListener('peer:connect', (e) => out(`connected ${e.detail}`))
node.addEventListener('peer:disconnect', (e) => {
  out(`closed ${e.detail}`)
  if (opt.exit && opt.dial && !finished) {
    out(`lost acked=${stats.acked} pongs=${stats.pongs} recvd=${stats.recvd}`)
    setTimeout(() => process.exit(111), 100)
  }
})

function frame (kind, intent, rest) {
  const b = new Uint8Array(33 + (rest ? rest.length : 0))
  b[0] = kind
  b.set(intent, 1)
  if (rest) b.set(rest, 33)
  return b
}

// Read frames from a coordinator stream; ACK every MSG on the same stream.
async function serveStream (stream, peer, outq) {
  try {
    for await (const chunk of lp.decode(stream.source,
      { maxDataLength: 8 * 1024 * 1024 })) {
      const b = chunk.subarray()
      const kind = b[0]
      const intent = b.subarray(1, 33)
      if (kind === MSG) {
        const body = b.subarray(33)
        const text = Buffer.from(body.subarray(0, 60)).toString('latin1')
          .replace(/[^\x20-\x7e]/g, '.')
        if (!opt.quiet) out(`recv ${peer} ${hex(intent)} ${body.length} ${text}`)
        stats.recvd++
        outq.push(frame(ACK, intent))
      } else if (kind === ACK) {
        if (!opt.quiet) out(`ack ${peer} ${hex(intent)}`)
        stats.acked++
        stats.tLast = Date.now()
        if (opt.lockstep && sendNext !== undefined) {
          stats.lat.push(Number(process.hrtime.bigint() - stats.tSent) / 1000)
          sendNext()
        }
      } else if (kind === REJECT) {
        out(`reject ${peer} ${hex(intent)} ${b[33]}`)
        stats.acked++
      } else {
        out(`bad-frame ${peer} kind ${kind}`)
      }
      check()
    }
  } catch (err) {
    out(`stream-error ${peer} ${err.message}`)
  }
}

function openStream (stream, peer) {
  const outq = pushable()
  pipe(outq, (src) => lp.encode(src), stream.sink).catch((err) => {
    out(`stream-error ${peer} ${err.message}`)
  })
  serveStream(stream, peer, outq)
  return outq
}

await node.handle(PROTO, ({ stream, connection }) => {
  openStream(stream, connection.remotePeer.toString())
})

function check () {
  if (!opt.exit || finished) return
  if (stats.acked >= opt.send && stats.pongs >= opt.ping &&
      stats.recvd >= opt.expect) {
    finished = true
    if (stats.lat.length > 0) {
      const l = stats.lat.sort((a, b) => a - b)
      out(`latency p50 ${Math.round(l[l.length >> 1])} p99 ${Math.round(l[Math.floor(l.length * 99 / 100)])} us`)
    }
    out(`done ${stats.tLast > stats.tFirst ? stats.tLast - stats.tFirst : 0}`)
    setTimeout(async () => { await node.stop(); process.exit(0) }, 200)
  }
}

setTimeout(async () => {
  out(`timeout acked=${stats.acked} pongs=${stats.pongs} recvd=${stats.recvd}`)
  await node.stop()
  process.exit(111)
}, opt.timeout * 1000)

for (const ma of node.getMultiaddrs()) out(`listening ${ma}`)

if (opt.dial) {
  const ma = multiaddr(opt.dial)
  let conn
  try {
    conn = await node.dial(ma)
  } catch (err) {
    out(`dial-error ${err.message}`)
    await node.stop()
    process.exit(111)
  }
  const peer = conn.remotePeer.toString()
  try {
    if (opt.send > 0) {
      stats.tFirst = Date.now()
      const stream = await conn.newStream(PROTO)
      const outq = openStream(stream, peer)
      const make = (i) => {
        let body = Buffer.from(`message ${i} from js ${node.peerId}`)
        if (opt.size > body.length) {
          const b = Buffer.alloc(opt.size, 'x')
          body.copy(b)
          body = b
        }
        const intent = createHash('sha256').update(body.subarray(0, 128)).digest()
        return frame(MSG, intent, body)
      }
      if (opt.lockstep) {
        let i = 0
        sendNext = () => {
          if (i >= opt.send) return
          stats.tSent = process.hrtime.bigint()
          outq.push(make(i++))
        }
        sendNext()
      } else {
        for (let i = 0; i < opt.send; i++) outq.push(make(i))
      }
    }
  } catch (err) {
    out(`stream-error ${peer} ${err.message}`)
    await node.stop()
    process.exit(111)
  }
  for (let i = 0; i < opt.ping; i++) {
    try {
      const rtt = await node.services.ping.ping(ma)
      out(`pong ${peer} ${rtt}`)
      stats.pongs++
    } catch (err) {
      out(`ping-error ${peer} ${err.message}`)
    }
  }
  check()
}
check()
