// bench-decode.mjs: fetch a dev node's blocks' events (JSON-RPC batches),
// write them for evcheck -b, and time polkadot-js decoding them into the
// same JSON form (lib.mjs ref()).
//
//   node bench-decode.mjs URL BLOCKS OUTFILE
// prints {"blocks":..,"events":..,"seconds":..} for polkadot-js
import { writeFileSync } from 'node:fs';
import { xxhashAsHex } from '@polkadot/util-crypto';
import { loadMetadata, eventsTypes, expectEvents, hexToU8a } from './lib.mjs';

const [url, nArg, out] = process.argv.slice(2);
const n = Number(nArg);
async function batch(calls) {
  const body = calls.map(([method, params], i) => ({ jsonrpc: '2.0', id: i, method, params }));
  const res = await (await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body) })).json();
  return res.sort((a, b) => a.id - b.id).map((r) => r.result);
}
const key = xxhashAsHex('System', 128) + xxhashAsHex('Events', 128).slice(2);
const [mhex] = await batch([['state_getMetadata', []]]);
const hexes = [];
for (let b = 0; b < n; b += 500) {
  const nums = [];
  for (let k = b; k < Math.min(n, b + 500); k++) nums.push(k);
  const hashes = await batch(nums.map((k) => ['chain_getBlockHash', [k]]));
  hexes.push(...await batch(hashes.map((h) => ['state_getStorage', [key, h]])));
}
const lines = [JSON.stringify({ type: 'metadata', hex: mhex })];
for (const hex of hexes) lines.push(JSON.stringify({ type: 'block', hex }));
writeFileSync(out, lines.join('\n') + '\n');

const { registry, metadata } = loadMetadata(hexToU8a(mhex));
const vecType = registry.createLookupType(eventsTypes(registry, metadata).vecId);
const bins = hexes.map((h) => hexToU8a(h));
let events = 0;
const t0 = process.hrtime.bigint();
for (const bin of bins) {
  const recs = registry.createType(vecType, bin);
  events += expectEvents(registry, metadata, recs).length;
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ blocks: bins.length, events, seconds: secs }));
