# check.py DIR HEAD SERVICE...: the chaos run's checks, on what chaos.sh
# left in DIR; prints the details as "# " lines, then the summary line, then
# each binary's recovery; exit 0 only when every count is 0.
import base64, collections, json, re, sys

d, head, svcs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
names = open(d + "/names").read().split()
details = []


def note(fmt, *a):
    details.append("# " + (fmt % a if a else fmt))


def out_of_order(seq):
    """How many items must move for seq to be sorted: len - LIS."""
    import bisect
    tails = []
    for x in seq:
        i = bisect.bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(seq) - len(tails)


def lines(path):
    try:
        return open(path, errors="replace").read().splitlines()
    except FileNotFoundError:
        note("%s: missing", path)
        return []


lost = dup = reord = archive = double = failed = 0

# Blocks and events on each serai-observation topic (read_committed).
expected = lines(d + "/expected")
want = collections.Counter(expected)
for n in names:
    bl = [int(x) for x in lines("%s/%s.blocks" % (d, n))]
    c = collections.Counter(bl)
    miss = [b for b in range(head + 1) if c[b] == 0]
    extra = sum(v - 1 for v in c.values() if v > 1)
    spur = [b for b in c if b > head]
    first = list(dict.fromkeys(bl))
    ro = out_of_order(first)
    ev = lines("%s/%s.events" % (d, n))
    ce = collections.Counter(ev)
    emiss = sum((want - ce).values())
    eextra = sum((ce - want).values())
    efirst = [tuple(int(v) for v in e.split()[:2]) for e in
              dict.fromkeys(ev)]
    ero = out_of_order(efirst)
    lost += len(miss) + emiss
    dup += extra + len(spur) + eextra
    reord += ro + ero
    if miss or extra or spur or ro or emiss or eextra or ero:
        note("%s: blocks 0..%d: missing %d %s, twice %d, beyond %d, "
             "out of order %d; events (%d): missing %d, extra %d, out of "
             "order %d", n, head, len(miss), miss[:5], extra, len(spur),
             ro, len(expected), emiss, eextra, ero)

# Sessions: every one started completes once on every validator; the
# processors' requests were all started.
def idhex(x):
    """A sign id as plain hex, from -J's 0x-hex (or base64, the old
    mapping, which -J input still accepts)."""
    if x.startswith("0x"):
        return x[2:].lower()
    return base64.b64decode(x).hex()


recs = [json.loads(l) for l in lines(d + "/signing.json")]
started, completed = set(), collections.Counter()
formed = collections.Counter()
for r in recs:
    b = r.get("body", {})
    if r.get("type") == "PARTY_FORMED":
        started.add(idhex(b["sign_id"]))
        formed[(r["v"], b["sign_id"], b.get("attempt", 0))] += 1
    elif r.get("type") == "SIGN_COMPLETED":
        completed[(r["v"], idhex(b["sign_id"]))] += 1
# A processor's request a signer refused for its set: at once (the set
# at or below the highest it knows, signer/route.c: "validator set N/S
# unknown"), or after holding it (hold_scan, hold_add: the set "still
# unknown" after early_ttl or when the window is full, or a later set
# "came after it").  The session cannot complete without that validator.
# Counted apart (refused) so the line says which failure it was; any
# refusal fails the run.
refused = set()
for l in lines(d + "/supervisor.log"):
    m = re.search(r": session ([0-9a-f]{16})(?: \(\w+\))?: validator set "
                  r"\d+/\d+ (?:unknown$|unknown, |still unknown )", l)
    if m:
        refused.add(m.group(1))


def hid(h):
    return h[:16]


smiss = [(v, s) for s in started for v in names if completed[(v, s)] == 0
         and hid(s) not in refused]
if refused:
    note("requests refused by a signer that did not know their set yet: "
         "%d %s", len(refused), sorted(refused)[:5])
stwice = sum(c - 1 for c in completed.values() if c > 1)
reqs = [idhex("0x" + x) for x in lines(d + "/requests") if x]
rmiss = [x for x in reqs if x not in started]
lost += len(smiss) + len(rmiss)
dup += stwice
note("sessions %d (processors' requests %d), completed on every "
     "validator %d", len(started), len(reqs),
     sum(1 for s in started if all(completed[(v, s)] for v in names)))
if smiss or stwice or rmiss:
    note("sessions: %d not completed on a validator %s, %d completed "
         "twice, %d requests never started %s", len(smiss), smiss[:3],
         stwice, len(rmiss), rmiss[:3])

# Double signing: one PartyFormed record per sign id and attempt on each
# validator's topic; each processor told of an attempt by one record (a
# record read again after a restart, same partition and offset, is a
# redelivery, counted apart).
twice = [(k, c) for k, c in formed.items() if c > 1]
double += sum(c - 1 for _, c in twice)
if twice:
    note("PartyFormed twice on a signing topic: %s", twice[:3])
told = collections.defaultdict(set)
seen = collections.Counter()
pat = re.compile(r"^([a-z]+)\.procsim: formed ([0-9a-f]{16}) attempt=(\d+) "
                 r"party=\S+ at=(\d+:\d+)")
dupparty = 0
for l in lines(d + "/supervisor.log"):
    m = pat.match(l)
    if m:
        told[m.group(1, 2, 3)].add(m.group(4))
        seen[m.group(1, 2, 3)] += 1
    elif re.match(r"^[a-z]+\.procsim: duplicate-party ", l):
        dupparty += 1
ptwice = [(k, sorted(v)) for k, v in told.items() if len(v) > 1]
double += len(ptwice)
redeliv = sum(c - 1 for c in seen.values() if c > 1) - sum(
    len(v) - 1 for _, v in ptwice)
note("processors told of %d attempts, %d again by the same record after a "
     "restart, %d duplicate-party lines", len(told), redeliv, dupparty)
if ptwice:
    note("a processor told of the same attempt by two records: %s",
         ptwice[:3])

# Archives.
for n in names:
    a = lines("%s/%s.acheck" % (d, n))
    m = re.match(r"missing (\d+) extra (\d+) late (\d+)", a[0] if a else "")
    if not m:
        archive += 1
        note("%s: no archive check", n)
        continue
    ad = len(lines("%s/%s.adup" % (d, n)))
    archive += int(m.group(1)) + int(m.group(2)) + ad
    if int(m.group(1)) + int(m.group(2)) + ad:
        note("%s: archive: %s, twice %d", n, a[0], ad)
        details.extend(a[1:])

# Services: none failed; every warning, error or fatal line explained.
for l in lines(d + "/status")[1:]:
    f = l.split()
    if len(f) >= 2 and f[1] not in ("up", "finished"):
        failed += 1
        note("service not up at the end: %s", l)
kills = [l.split() for l in lines(d + "/kills") if l]
# Each warning, error or fatal line from the first kill to the stop must be
# the consequence of a kill: a pattern saying what it is, and a kill of a
# service it names (or of the validator's, or any, as the pattern says)
# shortly before.  The lines before the first kill (the start) and after
# the stop began are t9010's business, not chaos's.
port = {}
sec = None
for l in lines("%s/%s/coord.ini" % (d, names[0])):
    m = re.match(r"\[validator (\S+)\]", l)
    if m:
        sec = m.group(1)
    m = re.match(r"endpoint = /ip4/127\.0\.0\.1/tcp/(\d+)$", l)
    if m and sec:
        port[m.group(1)] = sec
# ... and libp2p peer ids: base58btc of the identity multihash of the
# protobuf PublicKey (Ed25519) of each [validator]'s public_key.
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def peer_id(hexkey):
    b = bytes([0, 36, 8, 1, 18, 32]) + bytes.fromhex(hexkey)
    n, out = int.from_bytes(b, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


peer = {}
sec = None
for l in lines("%s/%s/coord.ini" % (d, names[0])):
    m = re.match(r"\[validator (\S+)\]", l)
    if m:
        sec = m.group(1)
    m = re.match(r"public_key = ([0-9a-f]{64})$", l)
    if m and sec:
        peer[peer_id(m.group(1))] = sec
killed = collections.defaultdict(list)
for k in kills:
    killed[k[1]].append(int(k[0]))


def killed_within(svcs, t, ms):
    # (100 ms of slack: the supervisor may log a death before the killer
    # writes down its kill)
    return any(t - ms <= x <= t + 100 for s in svcs for x in killed[s])


def of(v, *progs):
    return ["%s.%s" % (v, p) for p in progs]


ALL = ("archiver", "observer", "connector", "signer", "procsim")


def explain(src, msg, t):
    """Why a warning or error line of service src (NAME.PROG, or
    supervisor) at time t is a kill's consequence, or None."""
    m = re.match(r"(\S+): died \(signal:KILL\) after \d+ ms; restart in "
                 r"\d+ ms", msg)
    if src == "supervisor" and m:
        return "killed" if killed_within([m.group(1)], t, 10000) else None
    # The same, killed before it said it was ready.
    m = re.match(r"(\S+): closed fd \d+ before it was ready", msg)
    if src == "supervisor" and m:
        return "killed" if killed_within([m.group(1)], t, 10000) else None
    # An archiver killed in the middle of writing a batch to its file
    # store: its next start truncates the partial record (the batch's
    # offsets were not committed, so it is written again).
    if src.endswith(".archiver") and re.search(
            r"incomplete last record at offset \d+ .*interrupted batch\) "
            r"truncated", msg):
        return "killed" if killed_within([src], t, 10000) else None
    # A restarted transactional producer's InitProducerId while the
    # broker still aborts its killed predecessor's transaction.
    if "Failed to acquire transactional PID" in msg and \
            "concurrent operation" in msg:
        return "txn" if killed_within([src], t, 60000) else None
    # A peer's connector killed: the links to it break and are redialled
    # until it listens again.
    m = re.search(r"to 127\.0\.0\.1:(\d+): ", msg)
    if src.endswith(".connector") and m and port.get(m.group(1)):
        return "peer" if killed_within(of(port[m.group(1)], "connector"), t,
                                       30000) else None
    # ... or an established link to it reset when it died.
    m = re.search(r"peer (\S+): (read|write): (Connection reset by peer|"
                  r"Broken pipe|end of stream|EOF)", msg)
    if src.endswith(".connector") and m and peer.get(m.group(1)):
        return "peer" if killed_within(of(peer[m.group(1)], "connector"), t,
                                       30000) else None
    # A peer's message reaching us after the session completed here (or
    # completed and was forgotten with its set's retirement): it
    # was held up by a kill of one of the sender's services on its way
    # (its connector resending from the log, its processor answering
    # again after a restart).
    m = re.search(r"SignMessage \S+ from (\S+): (?:session completed|set "
                  r"\d+/\d+ is retired and the session is not running)",
                  msg)
    if m:
        return "late" if killed_within(of(m.group(1), *ALL), t,
                                       60000) else None
    # Our processor's message for a session the signer completed before it
    # was killed: redelivered to the restarted signer, whose state from
    # the log no longer holds the session.
    # Or the processor, restarted, read a PartyFormed again and answered
    # a session the signer has completed and forgotten.
    if re.search(r"SignMessage \S+ from our processor: no such session",
                 msg):
        return "gone" if killed_within(
            of(src.split(".")[0], "signer", "procsim"), t, 120000) else None
    # A session whose stage timed out: a party member's processor,
    # connector or signer was killed in it (the processor's session state
    # is in memory; messages to and from a killed connector wait for it).
    if re.search(r"session \S+: (preprocess|share) timed out at attempt "
                 r"\d+: re-attempting", msg):
        return "timeout" if killed_within(
            [s for s in killed if s.split(".")[1] in
             ("procsim", "connector", "signer")], t, 60000) else None
    # Members that moved to a later attempt (their stage timed out first,
    # their clocks started at different times after a kill): this signer
    # joins them.
    if re.search(r"session \S+: members of attempt \d+'s party are there "
                 r"already: leaving attempt \d+ for it", msg):
        return "catch up" if killed_within(
            [s for s in killed if s.split(".")[1] in
             ("procsim", "connector", "signer")], t, 60000) else None
    # A processor restarted reads its last SignCompleted again and
    # submits that key pair once more; the set has its keys by then.
    # Or a key generation a kill made late completes on one validator
    # after another's key pair is on chain: the dev node answers the same
    # bytes "outdated" (the set has keys), not "temporarily banned".
    m = re.search(r"the node refused the instruction from (\S+): error "
                  r"1010: .*Transaction is outdated", msg)
    if m:
        return "resubmitted" if killed_within(
            [s for s in killed if s.split(".")[1] in
             ("procsim", "connector", "signer")], t, 60000) else None
    # A key generation that a kill made late (a stage timed out, the
    # processor that submits it restarted): its set has passed, and the
    # node refuses keys for an earlier set.
    if re.search(r"the node refused the instruction from \S+\.procsim: "
                 r"error 1010: .*not the dev signature for set", msg):
        return "stale keys" if killed_within(
            [s for s in killed if s.split(".")[1] in
             ("procsim", "connector", "signer")], t, 60000) else None
    return None


t0 = min((int(k[0]) for k in kills), default=0)
try:
    t1 = int(open(d + "/stop_ms").read())
except (FileNotFoundError, ValueError):
    t1 = 1 << 62
unexplained = []
why = collections.Counter()
levels = re.compile(r"^(\d+) (\S+): (?:\S+: )?(warning|error|fatal): (.*)$")
for l in lines(d + "/supervisor.tlog"):
    m = levels.match(l)
    if not m or not t0 <= int(m.group(1)) < t1:
        continue
    w = explain(m.group(2), m.group(4), int(m.group(1)))
    if w is None and any(h in l for h in refused):
        w = "refused session"
    # Peers' messages for a refused session, held as early messages for
    # early_ttl (10 m) on the validator where it never formed: the line
    # does not name the session.
    if w is None and refused and re.search(r"early message held \d+ ms "
                                           r"without its session forming",
                                           l):
        w = "refused session"
    if w is None:
        unexplained.append(l.split(" ", 1)[1])
    else:
        why[w] += 1
note("warnings explained by kills: %s", dict(why))
for l in unexplained[:20]:
    note("unexplained: %s", l)

# Recovery: from a kill to the service's next "ready"; a kill that hit a
# service not yet ready again, or that is followed by another kill of it
# before it was, is not timed.
ready = collections.defaultdict(list)
rre = re.compile(r"^(\d+) supervisor: info: (\S+): ready$")
for l in lines(d + "/supervisor.tlog"):
    m = rre.match(l)
    if m:
        ready[m.group(2)].append(int(m.group(1)))
rec = collections.defaultdict(list)
untimed = 0
bysvc = collections.defaultdict(list)
for k in kills:
    bysvc[k[1]].append((int(k[0]), k[3]))
for s, ks in bysvc.items():
    for i, (t, state) in enumerate(ks):
        nxt = ks[i + 1][0] if i + 1 < len(ks) else None
        r = [x for x in ready[s] if x > t]
        if state != "up" or not r or (nxt is not None and nxt < r[0]):
            untimed += 1
            continue
        rec[s.split(".", 1)[1]].append(r[0] - t)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


print("\n".join(details))
print("chaos: kills %d lost %d duplicated %d reordered %d archive %d "
      "double-signed %d failed %d unexplained %d refused %d" % (len(kills),
      lost, dup, reord, archive, double, failed, len(unexplained),
      len(refused)))
worst = 0
for b in sorted(rec):
    xs = rec[b]
    worst = max(worst, pct(xs, 99))
    print("chaos: recovery %s: %d kills, p50 %d ms, p99 %d ms, max %d ms" %
          (b, len(xs), pct(xs, 50), pct(xs, 99), max(xs)))
print("chaos: recovery p99 worst %d ms; %d kills not timed (hit a service "
      "not ready, or killed again before it was)" % (worst, untimed))
sys.exit(1 if lost or dup or reord or archive or double or failed or
         unexplained or refused else 0)
