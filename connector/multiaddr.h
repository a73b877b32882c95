/*
 * multiaddr: the text form of the endpoints we dial and listen on,
 * /ip4/A/tcp/P, /ip6/A/tcp/P, /dns4/H/tcp/P, /dns6/H/tcp/P, /dns/H/tcp/P,
 * each optionally followed by /p2p/PEERID.
 */
#ifndef CONNECTOR_MULTIADDR_H
#define CONNECTOR_MULTIADDR_H

#include <stdint.h>

#include "connector/peerid.h"

enum ma_kind { MA_IP4, MA_IP6, MA_DNS4, MA_DNS6, MA_DNS };

#define MA_HOSTMAX	254
#define MA_STRMAX	(MA_HOSTMAX + PEERID_STRMAX + 32)

struct multiaddr {
	enum ma_kind	 kind;
	char		 host[MA_HOSTMAX + 1];
	uint16_t	 port;
	int		 has_peer;
	struct peerid	 peer;
};

int		 multiaddr_parse(const char *, struct multiaddr *, char *,
		    size_t);
const char	*multiaddr_str(const struct multiaddr *, char *, size_t);

#endif
