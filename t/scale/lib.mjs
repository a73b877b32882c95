// lib.mjs: shared helpers for the polkadot-js reference scripts.
//
//   loadMetadata(u8a)      registry + metadata from a "meta" blob (or the
//                          Option<Vec<u8>> form of the V15 fixtures)
//   fixtureBlob(name)      the raw "meta" blob of a @polkadot/types-support
//                          fixture such as "v14/substrate"
//   ref(codec)             polkadot-js's decoded value in the observer's
//                          JSON form (observer/meta.h): toPrimitive(true),
//                          with toJSON()'s struct keys and account ids as hex
//   expectEvents(...)      a decoded Vec<EventRecord> as the observer's
//                          decoded events
import { TypeRegistry, Metadata } from '@polkadot/types';
import {
  AbstractInt, BitVec, Bool, BTreeMap, BTreeSet, Compact, Enum, Null,
  Option, Raw, Struct, Text, Tuple, Vec, VecFixed, WrapperOpaque,
  WrapperKeepOpaque, Range, RangeInclusive
} from '@polkadot/types-codec';
import {
  GenericAccountId, GenericEthereumAccountId, GenericVote
} from '@polkadot/types/generic';
import { compactFromU8a, hexToU8a, stringCamelCase, u8aToHex } from '@polkadot/util';

export function unwrapBlob(u8a) {
  const magic = [0x6d, 0x65, 0x74, 0x61];
  const isMeta = (a) => a.length >= 4 && magic.every((b, i) => a[i] === b);
  if (isMeta(u8a)) return u8a;
  // Option<Vec<u8>> (Metadata_metadata_at_version) or Vec<u8>
  for (const skip of [0, 1]) {
    if (skip === 1 && u8a[0] !== 1) continue;
    const [off, len] = compactFromU8a(u8a.subarray(skip));
    const inner = u8a.subarray(skip + off);
    if (inner.length === len.toNumber() && isMeta(inner)) return inner;
  }
  throw new Error('not a metadata blob');
}

export async function fixtureBlob(name) {
  const mod = await import(`@polkadot/types-support/metadata/${name}-hex`);
  return unwrapBlob(hexToU8a(mod.default));
}

export function loadMetadata(u8a) {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, unwrapBlob(u8a));
  registry.setMetadata(metadata);
  return { registry, metadata };
}

// The lookup ids of System.Events (Vec<EventRecord>) and EventRecord.
export function eventsTypes(registry, metadata) {
  const sys = metadata.asLatest.pallets.find((p) => p.name.toString() === 'System');
  const item = sys.storage.unwrap().items.find((i) => i.name.toString() === 'Events');
  const vecId = item.type.asPlain.toNumber();
  const recId = registry.lookup.getSiType(vecId).def.asSequence.type.toNumber();
  return { vecId, recId };
}

// polkadot-js's decoded value in the observer's JSON form.
export function ref(c) {
  if (c instanceof GenericAccountId || c instanceof GenericEthereumAccountId) {
    return c.toHex();
  }
  if (c instanceof GenericVote) return c.toU8a()[0];
  if (c instanceof Option) return c.isSome ? ref(c.unwrap()) : null;
  if (c instanceof Compact) return ref(c.unwrap());
  if (c instanceof AbstractInt) return c.toPrimitive();
  if (c instanceof Bool) return c.valueOf();
  if (c instanceof Null) return null;
  if (c instanceof Text) return c.toString();
  if (c instanceof WrapperOpaque || c instanceof WrapperKeepOpaque) {
    return ref(c.unwrap());
  }
  if (c instanceof Raw) return c.toHex();	// Bytes, U8aFixed, BitVec, H256
  if (c instanceof Enum) {
    if (c.isBasic) return c.type;
    return { [stringCamelCase(c.type)]: ref(c.inner) };
  }
  if (c instanceof Struct) {
    // toJSON()'s keys: the camelCase names without the "_" mangling
    const keys = Object.keys(c.toJSON());
    const out = {};
    let i = 0;
    for (const [, v] of c.entries()) out[keys[i++]] = ref(v);
    return out;
  }
  if (c instanceof BTreeMap) {
    return [...c.entries()].map(([k, v]) => [ref(k), ref(v)]);
  }
  if (c instanceof BTreeSet) return [...c.values()].map(ref);
  if (c instanceof Range || c instanceof RangeInclusive) {
    return { start: ref(c.start), end: ref(c.end) };
  }
  if (c instanceof Tuple || c instanceof Vec || c instanceof VecFixed) {
    return [...c].map(ref);
  }
  if (c instanceof BitVec) return c.toHex();
  throw new Error(`ref: unhandled codec ${c.constructor.name} (${c.toRawType()})`);
}

// The pallet names by index.
export function palletNames(metadata) {
  const names = new Map();
  for (const p of metadata.asLatest.pallets) names.set(p.index.toNumber(), p.name.toString());
  return names;
}

// A decoded Vec<EventRecord> as the observer's decoded events.
export function expectEvents(registry, metadata, records) {
  const names = palletNames(metadata);
  return [...records].map((rec, index) => {
    const ev = rec.event;
    const metaFields = ev.meta.fields;
    const named = metaFields.length > 0 && metaFields.every((f) => f.name.isSome);
    let fields;
    if (named) {
      fields = {};
      metaFields.forEach((f, i) => {
        fields[stringCamelCase(f.name.unwrap().toString())] = ref(ev.data[i]);
      });
    } else {
      fields = [...ev.data].map(ref);
    }
    return {
      index,
      pallet: names.get(ev.index[0]),
      section: ev.section,
      name: ev.method,
      phase: ref(rec.phase),
      fields,
      topics: ref(rec.topics)
    };
  });
}

export { u8aToHex, hexToU8a };
