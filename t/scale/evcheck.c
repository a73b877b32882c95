/*
 * evcheck: decode events with the observer's decoder and compare them
 * field by field with what polkadot-js decoded (gen-events.mjs output).
 *
 *   evcheck [-v] [-m SEED] FILE
 *   evcheck -c FILE
 *   evcheck -b ROUNDS FILE
 *
 * FILE holds JSON lines: one "metadata" line (the metadata hex), then
 * "block" lines (the Vec<EventRecord> hex and polkadot-js's events).  Every
 * mismatch is printed with its path; the exit status is 0 when all match.
 * With -m, one expected value (chosen by SEED) is altered first, and the
 * exit status is 0 only if the comparison catches it: the check can fail.
 *
 * With -c, FILE holds compact-edges.mjs's lines {bits, hex, value}: each
 * compact integer must decode to polkadot-js's value, or be refused where
 * polkadot-js refuses it (value null).
 *
 * With -b, the blocks of FILE (expected events not needed) are decoded
 * ROUNDS times, JSON built for every event, and the rate printed as
 * {"blocks":..,"events":..,"seconds":..}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hex.h"
#include "observer/meta.h"

static int	 compare(const cJSON *, const cJSON *, char *, size_t, int *,
		    const char *);
static int	 count_leaves(const cJSON *);
static int	 mutate(cJSON *, int *);
static char	*render(const cJSON *);
static void	 usage(void) __attribute__((noreturn));
static int	 compacts(const char *);
static int	 bench(const char *, int);

static int	 verbose;
static int	 shown;

static void
usage(void)
{
	fprintf(stderr, "usage: evcheck [-v] [-m seed] file\n"
	    "       evcheck -c file\n");
	exit(100);
}

static char *
render(const cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;

	return s ? s : strdup("(missing)");
}

static void
report(const char *ctx, const char *path, const cJSON *got, const cJSON *want)
{
	char *g, *w;

	if (shown++ >= 20)
		return;
	g = render(got);
	w = render(want);
	printf("# MISMATCH %s %s:\n#    got: %.300s\n#   want: %.300s\n", ctx,
	    path, g, w);
	free(g);
	free(w);
}

/* Deep comparison; path grows as we descend.  Returns mismatches. */
static int
compare(const cJSON *got, const cJSON *want, char *path, size_t cap,
    int *bad, const char *ctx)
{
	const cJSON	*c, *g;
	size_t		 plen = strlen(path);
	int		 i, n;

	if (got == NULL || want == NULL || (got->type & 0xff) !=
	    (want->type & 0xff)) {
		report(ctx, path, got, want);
		return ++*bad;
	}
	if (cJSON_IsNumber(want)) {
		if (got->valuedouble != want->valuedouble) {
			report(ctx, path, got, want);
			++*bad;
		}
	} else if (cJSON_IsString(want)) {
		if (strcmp(got->valuestring, want->valuestring) != 0) {
			report(ctx, path, got, want);
			++*bad;
		}
	} else if (cJSON_IsArray(want)) {
		n = cJSON_GetArraySize(want);
		if (cJSON_GetArraySize(got) != n) {
			report(ctx, path, got, want);
			return ++*bad;
		}
		for (i = 0; i < n; i++) {
			snprintf(path + plen, cap - plen, "[%d]", i);
			compare(cJSON_GetArrayItem(got, i),
			    cJSON_GetArrayItem(want, i), path, cap, bad, ctx);
		}
	} else if (cJSON_IsObject(want)) {
		cJSON_ArrayForEach(c, want) {
			snprintf(path + plen, cap - plen, ".%s", c->string);
			compare(cJSON_GetObjectItemCaseSensitive(got,
			    c->string), c, path, cap, bad, ctx);
		}
		cJSON_ArrayForEach(g, got) {
			if (cJSON_GetObjectItemCaseSensitive(want, g->string) ==
			    NULL) {
				snprintf(path + plen, cap - plen, ".%s",
				    g->string);
				report(ctx, path, g, NULL);
				++*bad;
			}
		}
	}
	/* true, false, null: the type check was all */
	path[plen] = '\0';
	return *bad;
}

static int
count_leaves(const cJSON *j)
{
	const cJSON	*c;
	int		 n = 0;

	if (!cJSON_IsArray(j) && !cJSON_IsObject(j))
		return 1;
	cJSON_ArrayForEach(c, j)
		n += count_leaves(c);
	return n;
}

/* Alter leaf number *k (counting down) of j. */
static int
mutate(cJSON *j, int *k)
{
	cJSON	*c;
	char	*s;
	size_t	 n;

	if (!cJSON_IsArray(j) && !cJSON_IsObject(j)) {
		if ((*k)-- != 0)
			return 0;
		if (cJSON_IsNumber(j))
			cJSON_SetNumberValue(j, j->valuedouble + 1);
		else if (cJSON_IsString(j)) {
			n = strlen(j->valuestring);
			if ((s = malloc(n + 2)) == NULL)
				return -1;
			memcpy(s, j->valuestring, n);
			/* change the last hex digit or append */
			if (n > 2 && s[n - 1] != '0')
				s[n - 1] = '0';
			else if (n > 2)
				s[n - 1] = '1';
			else
				s[n++] = 'x';
			s[n] = '\0';
			cJSON_SetValuestring(j, s);
			free(s);
		} else if (cJSON_IsTrue(j))
			j->type = cJSON_False;
		else if (cJSON_IsFalse(j))
			j->type = cJSON_True;
		else
			j->type = cJSON_False;	/* null */
		return 1;
	}
	cJSON_ArrayForEach(c, j)
		if (mutate(c, k) != 0)
			return 1;
	return 0;
}

/* Decoding speed: all blocks, rounds times, JSON for every event. */
static int
bench(const char *file, int rounds)
{
	struct meta		 m;
	struct meta_events	 evs;
	struct timespec		 t0, t1;
	FILE			*fp;
	char			*line = NULL, err[512];
	const char		*type, *hex;
	size_t			 cap = 0, nb = 0, i, *lens = NULL;
	uint8_t			**bins = NULL, *bin;
	size_t			 binlen;
	long			 events = 0;
	cJSON			*j;
	int			 r, have = 0;

	if ((fp = fopen(file, "r")) == NULL) {
		perror(file);
		return 111;
	}
	while (getline(&line, &cap, fp) != -1) {
		if ((j = cJSON_Parse(line)) == NULL)
			return 101;
		type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"));
		hex = cJSON_GetStringValue(cJSON_GetObjectItem(j, "hex"));
		if (type == NULL || hex == NULL ||
		    hex_decode_alloc(hex, &bin, &binlen) == -1)
			return 101;
		if (strcmp(type, "metadata") == 0) {
			if (meta_parse(&m, bin, binlen, err, sizeof(err)) ==
			    -1) {
				printf("# evcheck: %s\n", err);
				return 1;
			}
			have = 1;
			free(bin);
		} else {
			bins = realloc(bins, (nb + 1) * sizeof(*bins));
			lens = realloc(lens, (nb + 1) * sizeof(*lens));
			if (bins == NULL || lens == NULL)
				return 111;
			bins[nb] = bin;
			lens[nb++] = binlen;
		}
		cJSON_Delete(j);
	}
	free(line);
	fclose(fp);
	if (!have)
		return 101;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (r = 0; r < rounds; r++)
		for (i = 0; i < nb; i++) {
			if (meta_decode_events(&m, bins[i], lens[i], NULL,
			    NULL, &evs, err, sizeof(err)) == -1) {
				printf("# evcheck: block %zu: %s\n", i, err);
				return 1;
			}
			events += (long)evs.n;
			meta_events_free(&evs);
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"blocks\":%zu,\"events\":%ld,\"seconds\":%.6f}\n",
	    nb * (size_t)rounds, events, (double)(t1.tv_sec - t0.tv_sec) +
	    (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < nb; i++)
		free(bins[i]);
	free(bins);
	free(lens);
	meta_free(&m);
	return 0;
}

/* Compact integers against polkadot-js's decoding. */
static int
compacts(const char *file)
{
	struct scale_reader	 r;
	FILE			*fp;
	char			*line = NULL, dec[256];
	const char		*want, *hex;
	size_t			 cap = 0, n, binlen;
	uint8_t			 le[SCALE_COMPACT_MAX], *bin;
	cJSON			*j;
	int			 bits, bad = 0, total = 0, ok;

	if ((fp = fopen(file, "r")) == NULL) {
		perror(file);
		return 111;
	}
	while (getline(&line, &cap, fp) != -1) {
		if ((j = cJSON_Parse(line)) == NULL)
			return 101;
		bits = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j,
		    "bits"));
		hex = cJSON_GetStringValue(cJSON_GetObjectItem(j, "hex"));
		want = cJSON_GetStringValue(cJSON_GetObjectItem(j, "value"));
		if (hex == NULL || hex_decode_alloc(hex, &bin, &binlen) == -1)
			return 101;
		scale_reader_init(&r, bin, binlen);
		ok = scale_read_compact_le(&r, le, &n) == 0 &&
		    scale_remaining(&r) == 0 && scale_fits(le, n, bits);
		if (ok)
			scale_le_to_dec(le, n, 0, dec, sizeof(dec));
		if (ok != (want != NULL) || (ok && strcmp(dec, want) != 0)) {
			if (bad++ < 20)
				printf("# MISMATCH Compact<u%d> %s: got %s, "
				    "want %s\n", bits, hex, ok ? dec :
				    "refused", want ? want : "refused");
		}
		total++;
		free(bin);
		cJSON_Delete(j);
	}
	free(line);
	fclose(fp);
	printf("# evcheck: %d compact encodings, %d mismatches\n", total,
	    bad);
	return bad == 0 && total > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct meta		 m;
	struct meta_events	 evs;
	FILE			*fp;
	char			*line = NULL, err[512], path[4096], ctx[256];
	char			 camel[256];
	size_t			 cap = 0, i;
	ssize_t			 len;
	cJSON			*j, *want, *w, *got;
	uint8_t			*bin;
	size_t			 binlen;
	int			 ch, bad = 0, have_meta = 0, mseed = -1, mutated = 0;
	int			 cmode = 0, rounds = 0;
	long			 nevents = 0, nblocks = 0;

	while ((ch = getopt(argc, argv, "b:cm:v")) != -1) {
		switch (ch) {
		case 'b':
			rounds = atoi(optarg);
			break;
		case 'c':
			cmode = 1;
			break;
		case 'm':
			mseed = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (cmode)
		return compacts(argv[optind]);
	if (rounds > 0)
		return bench(argv[optind], rounds);
	if ((fp = fopen(argv[optind], "r")) == NULL) {
		perror(argv[optind]);
		return 111;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		if ((j = cJSON_Parse(line)) == NULL) {
			printf("# evcheck: bad JSON line\n");
			return 101;
		}
		const char *type = cJSON_GetStringValue(
		    cJSON_GetObjectItem(j, "type"));
		const char *hex = cJSON_GetStringValue(
		    cJSON_GetObjectItem(j, "hex"));

		if (type != NULL && strcmp(type, "metadata") == 0) {
			if (have_meta)
				meta_free(&m);
			if (hex == NULL || hex_decode_alloc(hex, &bin, &binlen) ==
			    -1 || meta_parse(&m, bin, binlen, err,
			    sizeof(err)) == -1) {
				printf("# evcheck: %s: %s\n",
				    cJSON_GetStringValue(cJSON_GetObjectItem(j,
				    "fixture")), hex ? err : "no hex");
				return 1;
			}
			free(bin);
			have_meta = 1;
			if (verbose)
				printf("# metadata V%u: %u types, %u pallets\n",
				    m.version, m.ntypes, m.npallets);
		} else if (type != NULL && strcmp(type, "block") == 0) {
			want = cJSON_GetObjectItem(j, "events");
			if (!have_meta || hex == NULL || want == NULL ||
			    hex_decode_alloc(hex, &bin, &binlen) == -1) {
				printf("# evcheck: bad block line\n");
				return 101;
			}
			if (mseed >= 0 && !mutated) {
				int leaves = count_leaves(want);
				int k = leaves > 0 ? mseed % leaves : 0;

				mutated = mutate(want, &k);
			}
			nblocks++;
			if (meta_decode_events(&m, bin, binlen, NULL, NULL,
			    &evs, err, sizeof(err)) == -1) {
				printf("# MISMATCH block %ld: decode failed: "
				    "%s\n", nblocks - 1, err);
				bad++;
				free(bin);
				cJSON_Delete(j);
				continue;
			}
			free(bin);
			if ((int)evs.n != cJSON_GetArraySize(want)) {
				printf("# MISMATCH block %ld: %zu events, "
				    "want %d\n", nblocks - 1, evs.n,
				    cJSON_GetArraySize(want));
				bad++;
			}
			for (i = 0; i < evs.n; i++) {
				struct meta_event *e = &evs.ev[i];

				w = cJSON_GetArrayItem(want, (int)i);
				if (w == NULL)
					break;
				got = meta_event_json(e);
				cJSON_AddStringToObject(got, "section",
				    meta_camel(e->pallet, camel,
				    sizeof(camel)));
				snprintf(ctx, sizeof(ctx), "block %ld event "
				    "%zu (%s.%s)", nblocks - 1, i, e->pallet,
				    e->name);
				path[0] = '\0';
				compare(got, w, path, sizeof(path), &bad, ctx);
				cJSON_Delete(got);
				nevents++;
			}
			meta_events_free(&evs);
		} else if (type != NULL && strcmp(type, "summary") == 0) {
			char *s = cJSON_PrintUnformatted(j);

			printf("# polkadot-js: %s\n", s);
			free(s);
		}
		cJSON_Delete(j);
	}
	free(line);
	fclose(fp);
	if (have_meta)
		meta_free(&m);
	printf("# evcheck: %ld blocks, %ld events, %d mismatches\n", nblocks,
	    nevents, bad);
	if (mseed >= 0)
		return mutated && bad > 0 ? 0 : 1;
	return bad == 0 && nevents > 0 ? 0 : 1;
}
