/*
 * Unit tests for observer/meta's JSON form, type by type, on a hand-made
 * registry: shapes the fixtures' events rarely or never use (bit sequences
 * of both orders and wider stores, char, i128, u256, tuples, arrays,
 * newtypes of u8, WrapperOpaque, single-field Weight, empty enums), each
 * decoded from hand-written SCALE and compared with the hand-written JSON
 * that meta.h documents.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "t/tap.h"
#include "observer/meta.h"

#define NONE	UINT32_MAX

struct fld {
	const char	*name;
	uint32_t	 type;
};

static struct scale_writer	 w;
static uint32_t			 ntypes;

static uint32_t	 begin(const char *, const char *, uint32_t);
static void	 fields(const struct fld *, size_t);

/* id, path ("a::b", one level per "::"), one optional param T */
static uint32_t
begin(const char *path, const char *pname, uint32_t ptype)
{
	const char	*p, *sep;
	size_t		 n = 0;

	scale_put_compact(&w, ntypes);
	if (path == NULL)
		scale_put_compact(&w, 0);
	else {
		for (p = path; p; p = (sep = strstr(p, "::")) ? sep + 2 : NULL)
			n++;
		scale_put_compact(&w, n);
		for (p = path; p; p = sep ? sep + 2 : NULL) {
			sep = strstr(p, "::");
			n = sep ? (size_t)(sep - p) : strlen(p);
			scale_put_bytes(&w, p, n);
		}
	}
	if (pname == NULL)
		scale_put_compact(&w, 0);
	else {
		scale_put_compact(&w, 1);
		scale_put_str(&w, pname);
		scale_put_u8(&w, 1);
		scale_put_compact(&w, ptype);
	}
	return ntypes++;
}

static void
fields(const struct fld *f, size_t n)
{
	size_t i;

	scale_put_compact(&w, n);
	for (i = 0; i < n; i++) {
		if (f[i].name) {
			scale_put_u8(&w, 1);
			scale_put_str(&w, f[i].name);
		} else
			scale_put_u8(&w, 0);
		scale_put_compact(&w, f[i].type);
		scale_put_u8(&w, 0);		/* no type name */
		scale_put_compact(&w, 0);	/* docs */
	}
}

#define END()		scale_put_compact(&w, 0)	/* docs */

static uint32_t
prim(int p)
{
	uint32_t id = begin(NULL, NULL, 0);

	scale_put_u8(&w, 5);
	scale_put_u8(&w, (uint8_t)p);
	END();
	return id;
}

static uint32_t
composite(const char *path, const char *pname, uint32_t ptype,
    const struct fld *f, size_t n)
{
	uint32_t id = begin(path, pname, ptype);

	scale_put_u8(&w, 0);
	fields(f, n);
	END();
	return id;
}

static uint32_t
single(uint8_t def, uint32_t elem)
{
	uint32_t id = begin(NULL, NULL, 0);

	scale_put_u8(&w, def);
	scale_put_compact(&w, elem);
	END();
	return id;
}

static uint32_t
tuple(const uint32_t *ids, size_t n)
{
	uint32_t	 id = begin(NULL, NULL, 0);
	size_t		 i;

	scale_put_u8(&w, 4);
	scale_put_compact(&w, n);
	for (i = 0; i < n; i++)
		scale_put_compact(&w, ids[i]);
	END();
	return id;
}

static void
variant(const char *name, uint8_t index, const struct fld *f, size_t n)
{
	scale_put_str(&w, name);
	fields(f, n);
	scale_put_u8(&w, index);
	END();
}

struct tcase {
	const char	*type;		/* a name from the table in main */
	const char	*hex;
	const char	*want;		/* JSON, or "!error substring" */
};

static const struct tcase cases[] = {
	{ "bits_u8_lsb0", "0x240d01", "\"0x0d01\"" },
	{ "bits_u32_msb0", "0x24000080b0", "\"0x000080b0\"" },
	{ "bits_u32_msb0", "0x240000", "!need 4 bytes" },
	{ "unit", "0x", "null" },
	{ "pair", "0x070100", "[7,1]" },
	{ "one", "0x2a000000", "42" },
	{ "vec_n8", "0x080102", "\"0x0102\"" },
	{ "arr_u16", "0x01000200", "[1,2]" },
	{ "unnamed", "0x090a00", "[9,10]" },
	{ "opt_u8", "0x00", "null" },
	{ "opt_u8", "0x0105", "5" },
	{ "opt_u8", "0x02", "!invalid Option tag" },
	{ "enum", "0x00", "{\"a\":null}" },
	{ "enum", "0x0107", "{\"b\":7}" },
	{ "enum", "0x02030001", "{\"c\":{\"x\":3,\"yZ\":true}}" },
	{ "enum", "0x050102", "{\"d\":[1,2]}" },
	{ "enum", "0x06", "{\"f\":null}" },
	{ "enum", "0x03", "!unknown variant index 3" },
	{ "basic", "0x03", "\"Y\"" },
	{ "basic", "0x04", "\"Z\"" },
	{ "weight", "0x04", "1" },
	{ "opaque", "0x102a000000", "42" },
	{ "opaque", "0x142a00000000", "!1 bytes left in an opaque wrapper" },
	{ "unitstruct", "0x", "null" },
	{ "compact_n8", "0x0501", "65" },
	{ "compact_n8", "0x0104", "!exceeds 8 bits" },
	{ "never", "0x00", "!enum without variants" },
	{ "opt_never", "0x00", "null" },
	{ "char", "0x41000000", "65" },
	{ "char", "0x00d80000", "!invalid char" },
	{ "str", "0x0c616263", "\"abc\"" },
	{ "str", "0x0c610062", "!NUL" },
	{ "str", "0x08c328", "!UTF-8" },
	{ "i128", "0xffffffffffffffffffffffffffffffff", "-1" },
	{ "i128", "0x00000000000000000000000000000080",
	    "\"-170141183460469231731687303715884105728\"" },
	{ "i128", "0x000000000000f0ffffffffffffffffff", "\"-4503599627370496\"" },
	{ "i128", "0x010000000000f0ffffffffffffffffff", "-4503599627370495" },
	{ "u64", "0xffffffffffff0f00", "4503599627370495" },
	{ "u64", "0x0000000000001000", "\"4503599627370496\"" },
	{ "u256", "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	    "\"115792089237316195423570985008687907853269984665640564039457584007913129639935\"" },
	{ "vec_empty_arr", "0x0c", "[[],[],[]]" },
	{ "vec_u32", "0x0801000000", "!length 2 (of at least 4 bytes each) exceeds the 4 bytes left" },
	{ "vec_u32", "0x080100000002000000", "[1,2]" },
	{ "bool", "0x01", "true" },
	{ "bool", "0x02", "!invalid bool" },
	{ "compact_u128", "0x33" "ffffffffffffffffffffffffffffffff",
	    "\"340282366920938463463374607431768211455\"" },
	{ "compact_u128", "0x37" "0000000000000000000000000000000001",
	    "!exceeds 128 bits" },
};

int
main(void)
{
	struct meta		 m;
	struct scale_reader	 r;
	struct {
		const char	*name;
		uint32_t	 id;
	} t[40];
	size_t		 nt = 0, i, k, len, binlen;
	uint32_t	 u8, u16, u32, u64, u128, i128, b, ch, s, u256, lsb, msb,
			 n8, cu64, cu32, never, x, unitid;
	uint8_t		*blob, *bin;
	char		 err[256], *got;
	cJSON		*j;
	int		 rc;

#define NAME(n, v)	do { t[nt].name = (n); t[nt++].id = (v); } while (0)
	scale_writer_init(&w);
	u8 = prim(3);
	u16 = prim(4);
	u32 = prim(5);
	u64 = prim(6);
	u128 = prim(7);
	i128 = prim(13);
	b = prim(0);
	ch = prim(1);
	s = prim(2);
	u256 = prim(8);
	NAME("u64", u64);
	NAME("i128", i128);
	NAME("bool", b);
	NAME("char", ch);
	NAME("str", s);
	NAME("u256", u256);
	lsb = composite("bitvec::order::Lsb0", NULL, 0, NULL, 0);
	msb = composite("bitvec::order::Msb0", NULL, 0, NULL, 0);
	x = begin(NULL, NULL, 0);		/* BitSequence<u8, Lsb0> */
	scale_put_u8(&w, 7);
	scale_put_compact(&w, u8);
	scale_put_compact(&w, lsb);
	END();
	NAME("bits_u8_lsb0", x);
	x = begin(NULL, NULL, 0);		/* BitSequence<u32, Msb0> */
	scale_put_u8(&w, 7);
	scale_put_compact(&w, u32);
	scale_put_compact(&w, msb);
	END();
	NAME("bits_u32_msb0", x);
	unitid = tuple(NULL, 0);
	NAME("unit", unitid);
	{
		uint32_t p[] = { u8, u16 }, o[] = { u32 };

		NAME("pair", tuple(p, 2));
		NAME("one", tuple(o, 1));
	}
	{
		struct fld f[] = { { NULL, u8 } };

		n8 = composite("x::N8", NULL, 0, f, 1);
	}
	NAME("vec_n8", single(2, n8));
	x = begin(NULL, NULL, 0);		/* [u16; 2] */
	scale_put_u8(&w, 3);
	scale_put_u32(&w, 2);
	scale_put_compact(&w, u16);
	END();
	NAME("arr_u16", x);
	x = begin(NULL, NULL, 0);		/* [u16; 0] */
	scale_put_u8(&w, 3);
	scale_put_u32(&w, 0);
	scale_put_compact(&w, u16);
	END();
	NAME("vec_empty_arr", single(2, x));
	NAME("vec_u32", single(2, u32));
	{
		struct fld f[] = { { NULL, u8 }, { NULL, u16 } };

		NAME("unnamed", composite("x::Pair", NULL, 0, f, 2));
	}
	{
		struct fld f[] = { { NULL, u8 } };

		x = begin("Option", "T", u8);
		scale_put_u8(&w, 1);
		scale_put_compact(&w, 2);
		variant("None", 0, NULL, 0);
		variant("Some", 1, f, 1);
		END();
		NAME("opt_u8", x);
	}
	{
		struct fld	 fb[] = { { NULL, u8 } };
		struct fld	 fc[] = { { "x", u16 }, { "y_z", b } };
		struct fld	 fd[] = { { NULL, u8 }, { NULL, u8 } };
		struct fld	 ff[] = { { NULL, unitid } };

		x = begin("x::E", NULL, 0);
		scale_put_u8(&w, 1);
		scale_put_compact(&w, 5);
		variant("A", 0, NULL, 0);
		variant("B", 1, fb, 1);
		variant("C", 2, fc, 2);
		variant("D", 5, fd, 2);
		variant("F", 6, ff, 1);
		END();
		NAME("enum", x);
		x = begin("x::Basic", NULL, 0);
		scale_put_u8(&w, 1);
		scale_put_compact(&w, 3);
		variant("X", 0, NULL, 0);
		variant("Y", 3, NULL, 0);
		variant("Z", 4, ff, 1);
		END();
		NAME("basic", x);
	}
	cu64 = single(6, u64);
	cu32 = single(6, u32);
	{
		struct fld f[] = { { "ref_time", cu64 } };

		NAME("weight", composite("sp_weights::weight_v2::Weight", NULL,
		    0, f, 1));
	}
	{
		struct fld f[] = { { NULL, cu32 }, { NULL, u32 } };

		NAME("opaque", composite("frame_support::traits::misc::"
		    "WrapperOpaque", "T", u32, f, 2));
	}
	NAME("unitstruct", composite("x::Unit", NULL, 0, NULL, 0));
	NAME("compact_n8", single(6, n8));
	NAME("compact_u128", single(6, u128));
	never = begin("x::Never", NULL, 0);
	scale_put_u8(&w, 1);
	scale_put_compact(&w, 0);
	END();
	NAME("never", never);
	{
		struct fld f[] = { { NULL, never } };

		x = begin("Option", "T", never);
		scale_put_u8(&w, 1);
		scale_put_compact(&w, 2);
		variant("None", 0, NULL, 0);
		variant("Some", 1, f, 1);
		END();
		NAME("opt_never", x);
	}
	(void)i128;

	/* "meta", V14, the registry, no pallets, extrinsic, runtime type */
	{
		struct scale_writer	 mw;
		uint8_t			*reg;
		size_t			 reglen;

		reg = scale_writer_take(&w, &reglen);
		scale_writer_init(&mw);
		scale_put_raw(&mw, "meta\x0e", 5);
		scale_put_compact(&mw, ntypes);
		scale_put_raw(&mw, reg, reglen);
		scale_put_compact(&mw, 0);
		scale_put_compact(&mw, u8);
		scale_put_u8(&mw, 4);
		scale_put_compact(&mw, 0);
		scale_put_compact(&mw, u8);
		free(reg);
		blob = scale_writer_take(&mw, &len);
	}
	ok(meta_parse(&m, blob, len, err, sizeof(err)) == 0,
	    "hand-made registry of %u types parses: %s", ntypes, err);
	free(blob);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 0; k < nt && strcmp(t[k].name, cases[i].type); k++)
			;
		if (k == nt || hex_decode_alloc(cases[i].hex, &bin, &binlen) == -1) {
			ok(0, "case %zu: bad test", i);
			continue;
		}
		scale_reader_init(&r, bin, binlen);
		j = NULL;
		rc = meta_decode_value(&m, t[k].id, &r, &j, err, sizeof(err));
		if (cases[i].want[0] == '!') {
			ok(rc == -1 && j == NULL &&
			    strstr(err, cases[i].want + 1) != NULL,
			    "%s %s refused: %s", cases[i].type, cases[i].hex,
			    err);
		} else {
			got = rc == 0 ? cJSON_PrintUnformatted(j) :
			    strdup(err);
			is_str(got, cases[i].want, "%s %s", cases[i].type,
			    cases[i].hex);
			ok(rc != 0 || scale_remaining(&r) == 0,
			    "%s %s: all bytes used", cases[i].type,
			    cases[i].hex);
			free(got);
		}
		cJSON_Delete(j);
		free(bin);
	}
	meta_free(&m);
	return done_testing();
}
