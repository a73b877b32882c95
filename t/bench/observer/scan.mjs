// scan.mjs: polkadot-js (@polkadot/api over HTTP) scanning blocks FROM..TO
// of a node as the observer does: each block's hash, header, runtime (api.at),
// System.Events decoded, Timestamp.Now, the events of interest turned into
// JSON, NewSet's ValidatorSets.Participants read at that block.  W blocks in
// flight at once (default 16), so the node is kept busy.
//
//   node scan.mjs URL FROM TO [W]
// prints {"blocks":..,"events":..,"seconds":..}
import { ApiPromise, HttpProvider } from '@polkadot/api';

const [url, fromArg, toArg, wArg] = process.argv.slice(2);
const from = Number(fromArg);
const to = Number(toArg);
const W = Number(wArg || 16);
const six = new Set(['validatorSets.NewSet', 'validatorSets.KeyGen',
  'validatorSets.AcceptedHandover', 'validatorSets.SetRetired',
  'inInstructions.Batch', 'coins.BurnWithInstruction']);

const api = await ApiPromise.create({ provider: new HttpProvider(url),
  noInitWarn: true, throwOnConnect: true });
let events = 0;
let parts = 0;
const out = [];

async function block(k) {
  const hash = await api.rpc.chain.getBlockHash(k);
  const [header, at] = await Promise.all([api.rpc.chain.getHeader(hash),
    api.at(hash)]);
  const [recs, now] = await Promise.all([at.query.system.events(),
    at.query.timestamp.now()]);
  const evs = [];
  for (const [index, rec] of recs.entries()) {
    const { event } = rec;
    if (!six.has(`${event.section}.${event.method}`)) continue;
    const e = { index, pallet: event.section, name: event.method,
      fields: event.data.toPrimitive() };
    if (event.method === 'NewSet') {
      const p = await at.query.validatorSets.participants(
        event.data[0].network);
      e.participants = p.toPrimitive();
      parts++;
    }
    evs.push(e);
  }
  events += evs.length;
  return { number: header.number.toNumber(), hash: hash.toHex(),
    parent: header.parentHash.toHex(), time: now.toNumber(), evs };
}

const t0 = process.hrtime.bigint();
for (let s = from; s <= to; s += W) {
  const ks = [];
  for (let k = s; k < Math.min(s + W, to + 1); k++) ks.push(k);
  const bs = await Promise.all(ks.map(block));
  // in order, each extending the one before, as the observer checks
  for (const b of bs) {
    if (out.length > 0 && out[out.length - 1].hash !== b.parent)
      throw new Error(`block ${b.number}: parent mismatch`);
    out.push({ number: b.number, hash: b.hash });
    if (out.length > 2) out.shift();
  }
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ blocks: to - from + 1, events, participants: parts,
  seconds: secs }));
await api.disconnect();
process.exit(0);
