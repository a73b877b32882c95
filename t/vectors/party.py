#!/usr/bin/env python3
"""party.py: an independent implementation of the signer's party selection
(signer/party.h), written from its specification with Python's hashlib, to
check the published vectors and as the peer in the benchmark.

  party.py check [FILE]          check every vector (default
                                 t/vectors/party.json); TAP on stdout
  party.py bench N SHARES ITER   time ITER party formations over N
                                 validators holding SHARES key shares;
                                 prints microseconds per formation
  party.py form JSON             one formation: JSON input as in the
                                 vectors (expect_* ignored), prints the party

seed  = BLAKE2b-256("serai-coordinator/party/v1" 0x00 || block_hash ||
                    u32le session || sign_id || u32le attempt)
score = BLAKE2b-256(key=seed, validator key)
"""
import hashlib
import json
import struct
import sys
import time

DOMAIN = b"serai-coordinator/party/v1\x00"


def default_threshold(total):
    return (2 * total) // 3 + 1


def seed_of(block_hash, session, sign_id, attempt):
    h = hashlib.blake2b(digest_size=32)
    h.update(DOMAIN)
    h.update(block_hash)
    h.update(struct.pack("<I", session))
    h.update(sign_id)
    h.update(struct.pack("<I", attempt))
    return h.digest()


def form(keys, weights, threshold, block_hash, session, sign_id, attempt,
         everyone=False):
    """keys sorted ascending; returns (party positions, threshold)."""
    if not keys:
        raise ValueError("empty set")
    if any(keys[i] >= keys[i + 1] for i in range(len(keys) - 1)):
        raise ValueError("not sorted")
    total = sum(weights)
    t = threshold or default_threshold(total)
    if t > total:
        raise ValueError("threshold unreachable")
    if everyone:
        return [i for i, w in enumerate(weights) if w > 0], t
    seed = seed_of(block_hash, session, sign_id, attempt)
    order = sorted(range(len(keys)), key=lambda i: (
        hashlib.blake2b(keys[i], digest_size=32, key=seed).digest(), i))
    taken, got = [], 0
    for i in order:
        if got >= t:
            break
        if weights[i] == 0:
            continue
        taken.append(i)
        got += weights[i]
    return sorted(taken), t


def from_json(v):
    keys = [bytes.fromhex(x["key"]) for x in v["validators"]]
    weights = [int(x["weight"]) for x in v["validators"]]
    return dict(keys=keys, weights=weights, threshold=int(v["threshold"]),
                block_hash=bytes.fromhex(v["block_hash"]),
                session=int(v["session"]),
                sign_id=bytes.fromhex(v["sign_id"]),
                attempt=int(v["attempt"]), everyone=bool(v["everyone"]))


def check(path):
    with open(path) as f:
        doc = json.load(f)
    n = 0
    fails = 0

    def ok(cond, name):
        nonlocal n, fails
        n += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
        if not cond:
            fails += 1

    ok(len(doc["vectors"]) > 0, "vectors present")
    for v in doc["vectors"]:
        a = from_json(v)
        seed = seed_of(a["block_hash"], a["session"], a["sign_id"],
                       a["attempt"])
        ok(seed.hex() == v["expect_seed"], "%s: seed" % v["name"])
        party, t = form(**a)
        ok(t == v["expect_threshold"], "%s: threshold %d" % (v["name"], t))
        ok(party == v["expect_party"],
           "%s: party %s (file says %s)" % (v["name"], party,
                                            v["expect_party"]))
    print("1..%d" % n)
    return 1 if fails else 0


def bench_set(n, shares):
    """The benchmark's set, the same bytes as t/bench/signer-bench.c makes:
    key i = BLAKE2b-256("bench-key" || u32le i), sorted; SHARES key shares
    dealt round-robin over validators i*7 mod n."""
    keys = [hashlib.blake2b(b"bench-key" + struct.pack("<I", i),
                            digest_size=32).digest() for i in range(n)]
    weights = [0] * n
    for s in range(shares):
        weights[(s * 7) % n] += 1
    pairs = sorted(zip(keys, weights))
    return [k for k, _ in pairs], [w for _, w in pairs]


def bench(n, shares, iters):
    keys, weights = bench_set(n, shares)
    block = hashlib.blake2b(b"bench-block", digest_size=32).digest()
    sid = hashlib.blake2b(b"bench-sign-id", digest_size=32).digest()
    t0 = time.perf_counter()
    size = 0
    for i in range(iters):
        party, _ = form(keys, weights, 0, block, 1, sid, i)
        size += len(party)
    dt = time.perf_counter() - t0
    print("%.3f %d" % (dt / iters * 1e6, size))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "check":
        return check(argv[2] if len(argv) > 2 else "t/vectors/party.json")
    if len(argv) == 5 and argv[1] == "bench":
        return bench(int(argv[2]), int(argv[3]), int(argv[4]))
    if len(argv) == 3 and argv[1] == "form":
        party, t = form(**from_json(json.loads(argv[2])))
        print(json.dumps({"party": party, "threshold": t}))
        return 0
    sys.stderr.write(__doc__)
    return 100


if __name__ == "__main__":
    sys.exit(main(sys.argv))
