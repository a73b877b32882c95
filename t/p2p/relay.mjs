// relay.mjs: a TCP man in the middle for the connector's security tests.
// It forwards one connection to --target and can tamper with one Noise
// transport frame in one direction:
//
//   node relay.mjs --target HOST:PORT [--mode flip|replay|none]
//                  [--dir c2s|s2c] [--frame K]
//
// Each direction starts with multistream-select in clear, up to and
// including the "/noise" message; after it come 2-byte-length Noise frames:
// the dialer sends handshake messages 1 and 3, the listener message 2, then
// transport frames.  --frame K (1-based) picks the K-th transport frame in
// --dir: "flip" inverts one bit in the middle of its ciphertext, "replay"
// sends it twice.  Prints "relay PORT" once listening and "tampered DIR K"
// when it did.
import net from 'node:net'

const opt = { mode: 'none', dir: 'c2s', frame: 3 }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const v = () => argv[++i]
  switch (argv[i]) {
    case '--target': opt.target = v(); break
    case '--mode': opt.mode = v(); break
    case '--dir': opt.dir = v(); break
    case '--frame': opt.frame = Number(v()); break
    default:
      console.error(`relay.mjs: unknown option ${argv[i]}`)
      process.exit(100)
  }
}
const [thost, tport] = opt.target.split(':')
const MARK = Buffer.from('\x07/noise\n', 'latin1')

function tamperer (dir, sink) {
  let buf = Buffer.alloc(0)
  let clear = true
  let n = 0
  const hs = dir === 'c2s' ? 2 : 1
  return (chunk) => {
    buf = Buffer.concat([buf, chunk])
    if (clear) {
      const at = buf.indexOf(MARK)
      if (at < 0) return
      sink.write(buf.subarray(0, at + MARK.length))
      buf = buf.subarray(at + MARK.length)
      clear = false
    }
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0)
      if (buf.length < 2 + len) break
      let f = Buffer.from(buf.subarray(0, 2 + len))
      buf = buf.subarray(2 + len)
      n++
      const hit = opt.mode !== 'none' && dir === opt.dir &&
        n - hs === opt.frame
      if (hit && opt.mode === 'flip') f[2 + (len >> 1)] ^= 0x01
      sink.write(f)
      if (hit && opt.mode === 'replay') sink.write(f)
      if (hit) process.stdout.write(`tampered ${dir} ${opt.frame}\n`)
    }
  }
}

const server = net.createServer((client) => {
  const up = net.connect(Number(tport), thost)
  client.on('data', tamperer('c2s', up))
  up.on('data', tamperer('s2c', client))
  const end = () => { client.destroy(); up.destroy() }
  client.on('close', end)
  up.on('close', end)
  client.on('error', end)
  up.on('error', end)
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`relay ${server.address().port}\n`)
})
