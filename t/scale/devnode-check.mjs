// devnode-check.mjs: the dev node checked with polkadot-js.
//
//   node devnode-check.mjs URL FROM TO [--api]
//
// For each block FROM..TO, over the dev node's JSON-RPC: the header, whose
// hash polkadot-js recomputes (BLAKE2b-256 of the SCALE header) and whose
// parent must be the previous block; the metadata in force (the runtime at
// the block's parent, as polkadot-js's api.at does), which polkadot-js must
// parse; the System.Events value, which polkadot-js decodes; and
// dev_expected, the generator's own account of the events, which must
// equal polkadot-js's decoding.  Prints JSON lines for evcheck (metadata
// and block lines, as gen-events.mjs) and a summary line; exits 1 on any
// difference.  --api also drives @polkadot/api's ApiPromise over HTTP.
import { xxhashAsHex } from '@polkadot/util-crypto';
import { loadMetadata, eventsTypes, expectEvents, hexToU8a } from './lib.mjs';

const [url, fromArg, toArg, flag] = process.argv.slice(2);
const from = Number(fromArg ?? 0);
const to = Number(toArg ?? from);
let id = 0;
const problems = [];

async function rpc(method, params = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params })
  });
  const j = await res.json();
  if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
  return j.result;
}

// deep equality, object keys in any order
function same(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
}

const eventsKey = xxhashAsHex('System', 128) + xxhashAsHex('Events', 128).slice(2);
let spec = null, meta = null, prevHash = null, nevents = 0;
for (let n = from; n <= to; n++) {
  const hash = await rpc('chain_getBlockHash', [n]);
  if (hash === null) { problems.push(`block ${n}: no hash`); continue; }
  const header = await rpc('chain_getHeader', [hash]);
  if (meta === null || n === 0) {
    // the registry for the Header type itself
    const at = n > 0 ? header.parentHash : hash;
    const blob = hexToU8a(await rpc('state_getMetadata', [at]));
    meta = loadMetadata(blob);
    spec = (await rpc('state_getRuntimeVersion', [at])).specVersion;
    console.log(JSON.stringify({ type: 'metadata', fixture: `devnode spec ${spec}`,
      version: meta.metadata.version, hex: await rpc('state_getMetadata', [at]) }));
  }
  const h = meta.registry.createType('Header', header);
  if (h.hash.toHex() !== hash) problems.push(`block ${n}: header hashes to ${h.hash.toHex()}, not ${hash}`);
  if (h.number.toNumber() !== n) problems.push(`block ${n}: header number ${h.number.toNumber()}`);
  if (prevHash !== null && header.parentHash !== prevHash) {
    problems.push(`block ${n}: parent ${header.parentHash} is not block ${n - 1}'s hash ${prevHash}`);
  }
  prevHash = hash;
  // the runtime that executed block n: the one at its parent
  const at = n > 0 ? header.parentHash : hash;
  const v = (await rpc('state_getRuntimeVersion', [at])).specVersion;
  if (v !== spec) {
    const hex = await rpc('state_getMetadata', [at]);
    meta = loadMetadata(hexToU8a(hex));
    spec = v;
    console.log(JSON.stringify({ type: 'metadata', fixture: `devnode spec ${spec}`,
      version: meta.metadata.version, hex }));
  }
  const { vecId } = eventsTypes(meta.registry, meta.metadata);
  const evhex = await rpc('state_getStorage', [eventsKey, hash]);
  const records = meta.registry.createType(meta.registry.createLookupType(vecId), hexToU8a(evhex));
  if (records.encodedLength !== hexToU8a(evhex).length) {
    problems.push(`block ${n}: polkadot-js used ${records.encodedLength} of ${hexToU8a(evhex).length} bytes`);
  }
  const events = expectEvents(meta.registry, meta.metadata, records);
  nevents += events.length;
  const expected = await rpc('dev_expected', [n]);
  const strip = (e) => ({ index: e.index, pallet: e.pallet, name: e.name, phase: e.phase,
    fields: e.fields, topics: e.topics });
  if (expected.length !== events.length) {
    problems.push(`block ${n}: ${events.length} events decoded, generator says ${expected.length}`);
  } else {
    events.forEach((e, i) => {
      if (!same(strip(e), expected[i])) {
        problems.push(`block ${n} event ${i}: polkadot-js ${JSON.stringify(strip(e))} generator ${JSON.stringify(expected[i])}`);
      }
    });
  }
  console.log(JSON.stringify({ type: 'block', n, hex: evhex, events }));
}

let api = null;
if (flag === '--api') {
  // a real client: ApiPromise over HTTP, reading the last block's events
  const { ApiPromise, HttpProvider } = await import('@polkadot/api');
  const warn = console.warn;
  console.warn = () => {};
  const a = await ApiPromise.create({ provider: new HttpProvider(url), noInitWarn: true });
  const hash = await a.rpc.chain.getBlockHash(to);
  const apiAt = await a.at(hash);
  const evs = await apiAt.query.system.events();
  const now = await apiAt.query.timestamp.now();
  api = { specVersion: apiAt.runtimeVersion.specVersion.toNumber(), events: evs.length,
    timestamp: now.toNumber(), chain: (await a.rpc.system.chain()).toString() };
  await a.disconnect();
  console.warn = warn;
}

console.log(JSON.stringify({ type: 'summary', blocks: to - from + 1, events: nevents,
  problems: problems.slice(0, 20), nproblems: problems.length, api }));
process.exit(problems.length ? 1 : 0);
