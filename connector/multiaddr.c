/*
 * multiaddr: parse and print the TCP multiaddrs the connector uses.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector/multiaddr.h"

static int	ma_dns_ok(const char *);

static const char *ma_names[] = { "ip4", "ip6", "dns4", "dns6", "dns" };

int
multiaddr_parse(const char *s, struct multiaddr *ma, char *err, size_t errlen)
{
	char		 tmp[MA_STRMAX + 1], *parts[8], *save, *t, *end;
	unsigned char	 a[16];
	size_t		 n = 0, i;
	unsigned long	 port;
	char		 perr[128];

	memset(ma, 0, sizeof(*ma));
	if (strlen(s) > MA_STRMAX || s[0] != '/') {
		snprintf(err, errlen, "multiaddr \"%.80s\": must start with /",
		    s);
		return -1;
	}
	if (strstr(s, "//") != NULL) {
		snprintf(err, errlen, "multiaddr \"%.80s\": empty component", s);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (t = strtok_r(tmp, "/", &save); t != NULL;
	    t = strtok_r(NULL, "/", &save)) {
		if (n == 8) {
			snprintf(err, errlen, "multiaddr \"%.80s\": too many "
			    "components", s);
			return -1;
		}
		parts[n++] = t;
	}
	if (n != 4 && n != 6) {
		snprintf(err, errlen, "multiaddr \"%.80s\": want "
		    "/ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/p2p/PEERID]", s);
		return -1;
	}
	for (i = 0; i < sizeof(ma_names) / sizeof(ma_names[0]); i++)
		if (strcmp(parts[0], ma_names[i]) == 0)
			break;
	if (i == sizeof(ma_names) / sizeof(ma_names[0])) {
		snprintf(err, errlen, "multiaddr \"%.80s\": unsupported "
		    "protocol /%s", s, parts[0]);
		return -1;
	}
	ma->kind = (enum ma_kind)i;
	if (strlen(parts[1]) > MA_HOSTMAX) {
		snprintf(err, errlen, "multiaddr \"%.80s\": host too long", s);
		return -1;
	}
	switch (ma->kind) {
	case MA_IP4:
		if (inet_pton(AF_INET, parts[1], a) != 1) {
			snprintf(err, errlen, "multiaddr \"%.80s\": bad IPv4 "
			    "address", s);
			return -1;
		}
		break;
	case MA_IP6:
		if (inet_pton(AF_INET6, parts[1], a) != 1) {
			snprintf(err, errlen, "multiaddr \"%.80s\": bad IPv6 "
			    "address", s);
			return -1;
		}
		break;
	default:
		if (!ma_dns_ok(parts[1])) {
			snprintf(err, errlen, "multiaddr \"%.80s\": bad host "
			    "name", s);
			return -1;
		}
		break;
	}
	snprintf(ma->host, sizeof(ma->host), "%s", parts[1]);
	if (strcmp(parts[2], "tcp") != 0) {
		snprintf(err, errlen, "multiaddr \"%.80s\": only /tcp is "
		    "supported", s);
		return -1;
	}
	port = strtoul(parts[3], &end, 10);
	if (*end != '\0' || !isdigit((unsigned char)parts[3][0]) ||
	    port > 65535 || strlen(parts[3]) > 5) {
		snprintf(err, errlen, "multiaddr \"%.80s\": bad port", s);
		return -1;
	}
	ma->port = (uint16_t)port;
	if (n == 6) {
		if (strcmp(parts[4], "p2p") != 0 &&
		    strcmp(parts[4], "ipfs") != 0) {
			snprintf(err, errlen, "multiaddr \"%.80s\": unexpected "
			    "/%s after the port", s, parts[4]);
			return -1;
		}
		if (peerid_parse(parts[5], &ma->peer, perr, sizeof(perr))
		    == -1) {
			snprintf(err, errlen, "multiaddr: %s", perr);
			return -1;
		}
		ma->has_peer = 1;
	}
	return 0;
}

const char *
multiaddr_str(const struct multiaddr *ma, char *out, size_t outlen)
{
	char	 pid[PEERID_STRMAX];

	if (ma->has_peer)
		snprintf(out, outlen, "/%s/%s/tcp/%u/p2p/%s",
		    ma_names[ma->kind], ma->host, ma->port,
		    peerid_str(&ma->peer, pid, sizeof(pid)));
	else
		snprintf(out, outlen, "/%s/%s/tcp/%u", ma_names[ma->kind],
		    ma->host, ma->port);
	return out;
}

/* Letters, digits, '-', '.', '_'; labels not empty. */
static int
ma_dns_ok(const char *h)
{
	const char *p;

	if (*h == '\0' || *h == '.' || *h == '-')
		return 0;
	for (p = h; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return 0;
		if (*p == '.' && p[1] == '.')
			return 0;
	}
	return 1;
}
