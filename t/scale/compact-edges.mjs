// compact-edges.mjs: how polkadot-js decodes compact integers at the
// edges: every mode boundary, non-canonical encodings (a value in a wider
// mode than needed), values beyond the declared width, the largest
// big-mode values.  One JSON line per case: {bits, hex, value} where
// value is polkadot-js's decimal string, or null when it refuses.
import { TypeRegistry } from '@polkadot/types';
import { u8aToHex } from '@polkadot/util';

const registry = new TypeRegistry();
const le = (v, n) => { const o = new Uint8Array(n); for (let i = 0; i < n; i++) { o[i] = Number(v & 0xffn); v >>= 8n; } return o; };
const cat = (...a) => { const o = new Uint8Array(a.reduce((n, x) => n + x.length, 0)); let k = 0; for (const x of a) { o.set(x, k); k += x.length; } return o; };
// every mode that can hold v, canonical or not
function encodings(v) {
  const out = [];
  if (v < 1n << 6n) out.push(new Uint8Array([Number(v << 2n)]));
  if (v < 1n << 14n) out.push(le((v << 2n) | 1n, 2));
  if (v < 1n << 30n) out.push(le((v << 2n) | 2n, 4));
  let n = 0;
  for (let x = v; x > 0n; x >>= 8n) n++;
  for (let m = Math.max(n, 4); m <= 67; m += (m < 9 ? 1 : 29)) out.push(cat(new Uint8Array([((m - 4) << 2) | 3]), le(v, m)));
  return out;
}
const values = new Set();
for (const b of [6n, 8n, 14n, 16n, 30n, 32n, 48n, 52n, 53n, 56n, 64n, 128n, 256n, 536n]) {
  for (const d of [-1n, 0n, 1n]) { const v = (1n << b) + d; if (v >= 0n && v < 1n << 536n) values.add(v); }
}
for (const v of [0n, 1n, 42n, 255n, 256n, 65535n, 65536n]) values.add(v);
for (const bits of [8, 16, 32, 64, 128, 256]) {
  for (const v of values) {
    for (const u8a of encodings(v)) {
      let value = null;
      try {
        value = registry.createType(`Compact<u${bits}>`, u8a).unwrap().toBn().toString();
      } catch (e) { value = null; }
      console.log(JSON.stringify({ bits, hex: u8aToHex(u8a), value }));
    }
  }
}
