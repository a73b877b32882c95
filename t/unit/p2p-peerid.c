/*
 * p2p-peerid: PeerIds (checked against js-libp2p's for fixed seeds),
 * base58btc, the PublicKey protobuf, uvarints and multiaddrs.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "t/tap.h"
#include "connector/conn.h"
#include "connector/multiaddr.h"
#include "connector/peerid.h"
#include "connector/varint.h"

static void
test_peerid(void)
{
	struct p2p_identity id;
	struct peerid p, q;
	uint8_t	 seed[32], pk[32];
	char	 s[PEERID_STRMAX], err[256];

	/* js-libp2p: generateKeyPairFromSeed('Ed25519', seed) -> PeerId. */
	memset(seed, 0, sizeof(seed));
	p2p_identity_from_seed(seed, &id);
	is_str(id.idstr, "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN",
	    "PeerId of the all-zero seed matches js-libp2p");
	memset(seed, 1, sizeof(seed));
	p2p_identity_from_seed(seed, &id);
	is_str(id.idstr, "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5",
	    "PeerId of the 0x01 seed matches js-libp2p");
	is_int(id.id.len, 38, "identity multihash of 38 bytes");
	is_int(id.id.b[0], 0x00, "multihash code: identity");
	is_int(id.id.b[1], 36, "multihash length: 36");

	ok(peerid_parse(id.idstr, &p, err, sizeof(err)) == 0, "parse back");
	ok(peerid_eq(&p, &id.id), "parse(str(id)) == id");
	ok(peerid_to_ed25519(&p, pk) == 0 && memcmp(pk, id.pk, 32) == 0,
	    "the public key comes back out of the PeerId");
	is_str(peerid_str(&p, s, sizeof(s)), id.idstr, "str(parse(s)) == s");

	ok(peerid_parse("12D3KooW0000", &q, err, sizeof(err)) == -1,
	    "'0' is not base58: refused");
	ok(strstr(err, "base58") != NULL, "with a reason: %s", err);
	/* A sha256 multihash (RSA-style PeerId): not Ed25519. */
	ok(peerid_parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", &q,
	    err, sizeof(err)) == -1, "Qm... (SHA-256) PeerId refused");
	ok(peerid_parse("", &q, err, sizeof(err)) == -1, "empty refused");
	ok(peerid_cmp(&p, &p) == 0, "cmp equal");
}

static void
test_pubkey(void)
{
	uint8_t	 pk[32], out[32], enc[PUBKEY_PB_LEN], b[40];
	char	 err[128];

	memset(pk, 7, sizeof(pk));
	pubkey_pb_encode(pk, enc);
	ok(pubkey_pb_decode(enc, sizeof(enc), out, err, sizeof(err)) == 0 &&
	    memcmp(pk, out, 32) == 0, "PublicKey round trip");
	/* fields the other way round */
	b[0] = 0x12; b[1] = 0x20; memcpy(b + 2, pk, 32); b[34] = 0x08;
	b[35] = 0x01;
	ok(pubkey_pb_decode(b, 36, out, err, sizeof(err)) == 0,
	    "PublicKey with Data before Type");
	enc[1] = 2;	/* secp256k1 */
	ok(pubkey_pb_decode(enc, sizeof(enc), out, err, sizeof(err)) == -1 &&
	    strstr(err, "unsupported key type") != NULL,
	    "secp256k1 key refused: %s", err);
	enc[1] = 1;
	ok(pubkey_pb_decode(enc, sizeof(enc) - 1, out, err, sizeof(err)) == -1,
	    "truncated PublicKey refused");
	ok(pubkey_pb_decode(enc, 2, out, err, sizeof(err)) == -1,
	    "PublicKey without Data refused");
}

static void
test_varint(void)
{
	uint8_t	 b[UVARINT_MAX];
	uint64_t v;
	size_t	 n, used;
	static const uint8_t nonmin[] = { 0x81, 0x00 };
	static const uint8_t toolong[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0x01 };

	n = uvarint_put(b, 300);
	ok(n == 2 && b[0] == 0xac && b[1] == 0x02, "300 is ac 02");
	ok(uvarint_get(b, n, &v, &used) == 1 && v == 300 && used == 2,
	    "decode 300");
	ok(uvarint_get(b, 1, &v, &used) == 0, "partial: need more");
	ok(uvarint_get(nonmin, 2, &v, &used) == -1, "non-minimal refused");
	ok(uvarint_get(toolong, 10, &v, &used) == -1, "10 bytes refused");
	n = uvarint_put(b, (1ULL << 63) - 1);
	ok(n == 9 && uvarint_get(b, n, &v, &used) == 1 &&
	    v == (1ULL << 63) - 1, "2^63-1 in 9 bytes");
	is_int(uvarint_len(127), 1, "len(127)");
	is_int(uvarint_len(128), 2, "len(128)");
}

static void
test_multiaddr(void)
{
	struct multiaddr ma;
	char	 err[256], s[MA_STRMAX];
	static const char *bad[] = {
		"", "ip4/1.2.3.4/tcp/1", "/ip4/1.2.3/tcp/1", "/ip4/1.2.3.4/udp/1",
		"/ip4/1.2.3.4/tcp/65536", "/ip4/1.2.3.4/tcp/-1",
		"/ip4/1.2.3.4/tcp/", "/ip4/1.2.3.4", "/ip6/1.2.3.4/tcp/1",
		"/dns4/bad..host/tcp/1", "/dns4/a b/tcp/1", "/onion3/x/tcp/1",
		"/ip4/1.2.3.4/tcp/1/p2p/nope", "/ip4/1.2.3.4/tcp/1/ws/x",
		"/ip4//tcp/1", NULL
	};
	int	 i;

	ok(multiaddr_parse("/ip4/127.0.0.1/tcp/30333", &ma, err,
	    sizeof(err)) == 0 && ma.kind == MA_IP4 && ma.port == 30333 &&
	    strcmp(ma.host, "127.0.0.1") == 0 && !ma.has_peer, "ip4");
	ok(multiaddr_parse("/ip6/::1/tcp/1", &ma, err, sizeof(err)) == 0 &&
	    ma.kind == MA_IP6 && ma.port == 1, "ip6");
	ok(multiaddr_parse("/dns4/validator-1.example/tcp/30333", &ma, err,
	    sizeof(err)) == 0 && ma.kind == MA_DNS4, "dns4");
	ok(multiaddr_parse("/dns/localhost/tcp/0", &ma, err, sizeof(err)) == 0
	    && ma.kind == MA_DNS && ma.port == 0, "dns, port 0");
	ok(multiaddr_parse("/dns6/h/tcp/5", &ma, err, sizeof(err)) == 0 &&
	    ma.kind == MA_DNS6, "dns6");
	ok(multiaddr_parse("/ip4/10.0.0.1/tcp/4001/p2p/"
	    "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN", &ma, err,
	    sizeof(err)) == 0 && ma.has_peer, "with /p2p/");
	is_str(multiaddr_str(&ma, s, sizeof(s)), "/ip4/10.0.0.1/tcp/4001/p2p/"
	    "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN",
	    "printed back");
	for (i = 0; bad[i] != NULL; i++)
		ok(multiaddr_parse(bad[i], &ma, err, sizeof(err)) == -1,
		    "refused \"%s\": %s", bad[i], err);
}

int
main(void)
{
	if (sodium_init() == -1)
		return 1;
	test_peerid();
	test_pubkey();
	test_varint();
	test_multiaddr();
	return done_testing();
}
