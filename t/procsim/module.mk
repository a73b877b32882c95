# t/procsim/module.mk: the signer's test doubles: procsim (a processor),
# chainsim (the observer's messages), p2prelay (the connectors' bus side).
EXTRA_BINS += t/procsim/procsim t/procsim/chainsim t/procsim/p2prelay
procsim_OBJS := t/procsim/procsim.o signer/statelog.o
t/procsim/procsim: $(procsim_OBJS)
procsim_LIBS := $(LIB_CJSON)
chainsim_OBJS := t/procsim/chainsim.o
t/procsim/chainsim: $(chainsim_OBJS)
chainsim_LIBS := $(LIB_CJSON)
p2prelay_OBJS := t/procsim/p2prelay.o
t/procsim/p2prelay: $(p2prelay_OBJS)
EXTRA_OBJS += t/procsim/procsim.o $(chainsim_OBJS) $(p2prelay_OBJS)
# partybench: the party-formation half of t/bench/signer.sh.
EXTRA_BINS += t/procsim/partybench
partybench_OBJS := t/procsim/partybench.o signer/party.o
t/procsim/partybench: $(partybench_OBJS)
EXTRA_OBJS += t/procsim/partybench.o
