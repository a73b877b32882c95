# stamp.py LOG TLOG: each line of standard input (the supervisor's
# standard error) appended to LOG as it is, and to TLOG after the Unix
# time in ms at which it was read: "MS LINE".  The supervisor adds no
# timestamps (a logger's job); the chaos driver needs them to time a
# service's recovery from its "NAME: ready" line.
import sys, time

log = open(sys.argv[1], "ab", buffering=0)
tlog = open(sys.argv[2], "ab", buffering=0)
for line in sys.stdin.buffer:
    log.write(line)
    tlog.write(b"%d " % (time.time() * 1000) + line)
