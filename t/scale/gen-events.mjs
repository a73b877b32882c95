// gen-events.mjs: random events encoded and decoded by polkadot-js, for
// comparing the observer's decoder against it (t/t2001-scale-polkadot.sh).
//
//   node gen-events.mjs FIXTURE SEED BLOCKS EVENTS_PER_BLOCK
//
// FIXTURE is a @polkadot/types-support metadata such as v14/substrate.
// Prints JSON lines on stdout:
//   {"type":"metadata","fixture":..,"seed":..,"version":..,"hex":"0x6d657461.."}
//   {"type":"block","n":..,"hex":"0x..","events":[{index,pallet,section,
//     name,phase,fields,topics}, ..]}
//   {"type":"summary",..}
// Every event variant of every pallet is used in turn (shuffled), its
// fields filled with random valid values of their types from the registry;
// polkadot-js decodes each event, re-encodes it (which must give the same
// bytes), builds the EventRecords and encodes the Vec<EventRecord>; the hex
// is that encoding and the expected JSON is polkadot-js's decoding of it.
import { fixtureBlob, loadMetadata, eventsTypes, expectEvents, u8aToHex } from './lib.mjs';

const [fixture, seedArg, blocksArg, perArg] = process.argv.slice(2);
if (!fixture) {
  console.error('usage: gen-events.mjs FIXTURE [SEED] [BLOCKS] [EVENTS_PER_BLOCK]');
  process.exit(100);
}
const seed = Number(seedArg ?? 1) >>> 0;
const nblocks = Number(blocksArg ?? 20);
const perBlock = Number(perArg ?? 10);

// mulberry32: small, seedable, good enough for test data
let state = seed || 1;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (n) => Math.floor(rand() * n);
const pick = (a) => a[randInt(a.length)];

const blob = await fixtureBlob(fixture);
const { registry, metadata } = loadMetadata(blob);
const lookup = registry.lookup;
const { vecId, recId } = eventsTypes(registry, metadata);
const ntypes = lookup.types.length;
const si = (id) => lookup.getSiType(id);

// Minimal nesting height of a value of each type (Infinity: none), so that
// deep recursive types (XCM) end.
const height = new Array(ntypes).fill(Infinity);
for (let changed = true; changed;) {
  changed = false;
  for (let id = 0; id < ntypes; id++) {
    const def = si(id).def;
    const path = si(id).path.map(String);
    let h = Infinity;
    const maxOf = (ids) => ids.reduce((m, x) => Math.max(m, height[x]), 0) + 1;
    switch (def.type) {
      case 'Primitive': case 'BitSequence': case 'Compact': case 'Sequence': h = 0; break;
      case 'Array': h = def.asArray.len.toNumber() === 0 ? 0 : height[def.asArray.type.toNumber()] + 1; break;
      case 'Tuple': h = maxOf(def.asTuple.map((x) => x.toNumber())); break;
      case 'Composite': h = maxOf(def.asComposite.fields.map((f) => f.type.toNumber())); break;
      case 'Variant':
        if (path[0] === 'Option') { h = 0; break; }
        for (const v of def.asVariant.variants) {
          h = Math.min(h, maxOf(v.fields.map((f) => f.type.toNumber())));
        }
        break;
    }
    if (h < height[id]) { height[id] = h; changed = true; }
  }
}

function le(value, bytes) {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function compact(v) {
  if (v < 1n << 6n) return new Uint8Array([Number(v << 2n)]);
  if (v < 1n << 14n) return le((v << 2n) | 1n, 2);
  if (v < 1n << 30n) return le((v << 2n) | 2n, 4);
  let n = 0;
  for (let x = v; x > 0n; x >>= 8n) n++;
  n = Math.max(n, 4);
  return new Uint8Array([((n - 4) << 2) | 3, ...le(v, n)]);
}

// Interesting unsigned values of a width: boundaries of JSON numbers and of
// the compact modes, extremes, and random ones of random bit lengths.
function randUnsigned(bits) {
  const max = (1n << BigInt(bits)) - 1n;
  const edges = [0n, 1n, 63n, 64n, 16383n, 16384n, (1n << 30n) - 1n, 1n << 30n,
    (1n << 32n) - 1n, (1n << 52n) - 1n, 1n << 52n, (1n << 53n) + 1n,
    (1n << 64n) - 1n, max, max - 1n].filter((x) => x <= max && x >= 0n);
  const r = rand();
  if (r < 0.3) return pick(edges);
  if (r < 0.5) return BigInt(randInt(1000));
  const len = 1 + randInt(bits);
  let v = 0n;
  for (let i = 0; i < len; i += 16) v = (v << 16n) | BigInt(randInt(65536));
  return v & ((1n << BigInt(len)) - 1n);
}

function randSigned(bits) {
  const u = randUnsigned(bits);
  const half = 1n << BigInt(bits - 1);
  // map to [-half, half) two's complement
  return u >= half ? u - (1n << BigInt(bits)) : (rand() < 0.5 ? -u % half : u);
}

const STRINGS = ['', 'a', 'Serai', 'hello world', 'é', '日本語', '😀 emoji', 'tab\tquote"back\\slash',
  'x'.repeat(70)];

function intOf(id, depth = 0) {
  // the integer a compact wraps, through single-field composites
  const def = si(id).def;
  if (depth > 50) throw new Error('compact loop');
  if (def.type === 'Primitive') {
    const p = def.asPrimitive.type.toString();
    const m = /^U(\d+)$/.exec(p);
    if (m) return Number(m[1]);
    throw new Error(`compact of ${p}`);
  }
  if (def.type === 'Composite' && def.asComposite.fields.length === 1) {
    return intOf(def.asComposite.fields[0].type.toNumber(), depth + 1);
  }
  if (def.type === 'Tuple' && def.asTuple.length === 1) return intOf(def.asTuple[0].toNumber(), depth + 1);
  if (def.type === 'Compact') return intOf(def.asCompact.type.toNumber(), depth + 1);
  throw new Error(`compact of ${def.type}`);
}

const MAXDEPTH = 7;

function gen(id, out, depth) {
  const t = si(id);
  const def = t.def;
  const path = t.path.map(String);
  const deep = depth > MAXDEPTH;
  if (/(^|_)(democracy|conviction_voting)::vote::Vote$/.test(path.join('::'))) {
    // a byte: aye bit and a conviction 0..6 (polkadot-js checks it)
    out.push(new Uint8Array([(randInt(2) << 7) | randInt(7)]));
    return;
  }
  switch (def.type) {
    case 'Primitive': {
      const p = def.asPrimitive.type.toString();
      if (p === 'Bool') { out.push(new Uint8Array([randInt(2)])); return; }
      if (p === 'Str') { const s = Buffer.from(pick(STRINGS)); out.push(compact(BigInt(s.length)), s); return; }
      if (p === 'Char') {
        let c;
        do { c = randInt(0x110000); } while (c >= 0xd800 && c <= 0xdfff);
        out.push(le(BigInt(c), 4)); return;
      }
      let m = /^U(\d+)$/.exec(p);
      if (m) { const bits = Number(m[1]); out.push(le(randUnsigned(bits), bits / 8)); return; }
      m = /^I(\d+)$/.exec(p);
      if (m) {
        const bits = Number(m[1]);
        let v = randSigned(bits);
        if (v < 0n) v += 1n << BigInt(bits);
        out.push(le(v, bits / 8)); return;
      }
      throw new Error(`primitive ${p}`);
    }
    case 'Compact': {
      const bits = intOf(def.asCompact.type.toNumber());
      out.push(compact(randUnsigned(bits))); return;
    }
    case 'Sequence': {
      const elem = def.asSequence.type.toNumber();
      const isU8 = si(elem).def.type === 'Primitive' && si(elem).def.asPrimitive.type.toString() === 'U8';
      const n = deep || height[elem] === Infinity ? 0 : (isU8 ? randInt(40) : randInt(4));
      out.push(compact(BigInt(n)));
      for (let i = 0; i < n; i++) gen(elem, out, depth + 1);
      return;
    }
    case 'Array': {
      const n = def.asArray.len.toNumber();
      for (let i = 0; i < n; i++) gen(def.asArray.type.toNumber(), out, depth + 1);
      return;
    }
    case 'Tuple':
      for (const x of def.asTuple) gen(x.toNumber(), out, depth + 1);
      return;
    case 'Composite':
      for (const f of def.asComposite.fields) gen(f.type.toNumber(), out, depth + 1);
      return;
    case 'Variant': {
      const vs = def.asVariant.variants;
      if (path[0] === 'Option') {
        const inner = t.params[0].type.unwrap().toNumber();
        if (deep || height[inner] === Infinity || rand() < 0.4) { out.push(new Uint8Array([0])); return; }
        out.push(new Uint8Array([1]));
        gen(inner, out, depth + 1);
        return;
      }
      const hOf = (v) => v.fields.reduce((m, f) => Math.max(m, height[f.type.toNumber()]), 0) + 1;
      let cands = vs.filter((v) => hOf(v) !== Infinity);
      if (deep) {
        const best = Math.min(...cands.map(hOf));
        cands = cands.filter((v) => hOf(v) === best);
      }
      if (cands.length === 0) throw new Error(`no constructible variant of type ${id}`);
      const v = pick(cands);
      out.push(new Uint8Array([v.index.toNumber()]));
      for (const f of v.fields) gen(f.type.toNumber(), out, depth + 1);
      return;
    }
    case 'BitSequence': {
      const n = deep ? 0 : randInt(20);
      const bytes = new Uint8Array(Math.ceil(n / 8)).map(() => randInt(256));
      if (n % 8) bytes[bytes.length - 1] &= (1 << (n % 8)) - 1;
      out.push(compact(BigInt(n)), bytes);
      return;
    }
    default:
      throw new Error(`type def ${def.type}`);
  }
}

function concat(parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// Every (pallet, event variant), shuffled.
// Variants no value can be made of (a field of an enum without variants,
// such as an empty RuntimeTask) are counted apart.
const variants = [];
const impossible = [];
for (const p of metadata.asLatest.pallets) {
  if (p.events.isNone) continue;
  const tid = p.events.unwrap().type.toNumber();
  for (const v of si(tid).def.asVariant.variants) {
    if (v.fields.some((f) => height[f.type.toNumber()] === Infinity)) {
      impossible.push(`${p.name}.${v.name}`);
      continue;
    }
    variants.push({ pallet: p, index: p.index.toNumber(), v });
  }
}
for (let i = variants.length - 1; i > 0; i--) {
  const j = randInt(i + 1);
  [variants[i], variants[j]] = [variants[j], variants[i]];
}

const stats = { events: 0, skipped: 0, variants: variants.length, used: new Set(), errors: {} };
console.log(JSON.stringify({ type: 'metadata', fixture, seed, version: metadata.version,
  hex: u8aToHex(blob) }));

const recType = registry.createLookupType(recId);
const vecType = registry.createLookupType(vecId);
let next = 0;
for (let b = 0; b < nblocks; b++) {
  const records = [];
  let guard = 0;
  while (records.length < perBlock && guard++ < perBlock * 20) {
    const { pallet, index, v } = variants[next++ % variants.length];
    const parts = [new Uint8Array([index, v.index.toNumber()])];
    let ev;
    try {
      for (const f of v.fields) gen(f.type.toNumber(), parts, 0);
      const bytes = concat(parts);
      ev = registry.createType('Event', bytes);
      const again = ev.toU8a();
      if (u8aToHex(again) !== u8aToHex(bytes)) throw new Error('re-encoding differs');
    } catch (e) {
      const key = `${pallet.name}.${v.name}: ${e.message.slice(0, 120)}`;
      stats.errors[key] = (stats.errors[key] || 0) + 1;
      stats.skipped++;
      continue;
    }
    const r = rand();
    const phase = r < 0.7 ? { ApplyExtrinsic: randInt(r < 0.1 ? 70000 : 20) }
      : r < 0.85 ? { Finalization: null } : { Initialization: null };
    const topics = [];
    for (let i = randInt(4) === 0 ? 1 + randInt(2) : 0; i > 0; i--) {
      topics.push(u8aToHex(new Uint8Array(32).map(() => randInt(256))));
    }
    records.push(registry.createType(recType, { phase, event: ev, topics }));
    stats.used.add(`${pallet.name}.${v.name}`);
  }
  const encoded = registry.createType(vecType, records).toU8a();
  // polkadot-js decodes what it encoded; that is the expectation
  const decoded = registry.createType(vecType, encoded);
  stats.events += decoded.length;
  console.log(JSON.stringify({ type: 'block', n: b, hex: u8aToHex(encoded),
    events: expectEvents(registry, metadata, decoded) }));
}
console.log(JSON.stringify({ type: 'summary', fixture, seed, events: stats.events,
  variants: stats.variants, variants_used: stats.used.size, skipped: stats.skipped,
  errors: stats.errors, impossible }));
