# kill.py SUPERVISOR DIR SECONDS KILLS LO HI SERVICE...: the chaos driver's
# killer.  Every LO..HI seconds (uniformly at random) it asks the
# supervisor of DIR (supervisor -s) for its services' pids, picks one of
# SERVICEs that has a process at random and SIGKILLs it; it stops after
# SECONDS, or after KILLS kills if KILLS > 0, whichever comes first.
# Each kill is a line on stdout: "MS SERVICE PID STATE" (MS: Unix time in
# ms at the kill; STATE: the service's state as -s said, up or starting).
# A SIGTERM ends it between two kills.
import os, random, signal, subprocess, sys, time

sup, d = sys.argv[1], sys.argv[2]
secs, kills = float(sys.argv[3]), int(sys.argv[4])
lo, hi = float(sys.argv[5]), float(sys.argv[6])
svcs = set(sys.argv[7:])
stop = False


def term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, term)


def status():
    out = subprocess.run([sup, "-f", d + "/supervisor.ini", "-r", d + "/run",
                          "-s"], capture_output=True, text=True).stdout
    st = {}
    for l in out.splitlines()[1:]:
        f = l.split()
        if len(f) >= 3 and f[0] in svcs and f[2].isdigit():
            st[f[0]] = (int(f[2]), f[1])
    return st


end = time.time() + secs
n = 0
while not stop and time.time() < end and (kills <= 0 or n < kills):
    time.sleep(random.uniform(lo, hi))
    if stop or time.time() >= end:
        break
    st = status()
    if not st:
        continue
    name = random.choice(sorted(st))
    pid, state = st[name]
    t = time.time()		# before: the supervisor may log the death first
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        continue
    n += 1
    print("%d %s %d %s" % (t * 1000, name, pid, state), flush=True)
