/* cfg: see cfg.h. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "hex.h"
#include "cfg.h"
#include "inifile.h"

struct parse {
	struct cfg	*cfg;
	FILE		*fp;
	int		 lineno;
	char		 line[1024];	/* the raw text of the line, for errors */
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static const struct cfg_sectdef *sectdef(const char *);
static const struct cfg_keydef *keydef(const char *, const char *);
static int	 line_cb(void *, int, const char *, const char *, const char *,
		    const char *);
static int	 handler(void *, const char *, const char *, const char *);
static void	*xrealloc(void *, size_t);
static char	*xstrdup(const char *);
static struct cfg_sect *sect_get(struct cfg *, const char *, const char *,
		    int);
static const struct cfg_sect *sect_find(const struct cfg *, const char *);
static const char *defval(const char *, const char *);
static const char *pathdef(const struct cfg *, const char *, const char *);
static int	 resolve_paths(struct cfg *, char *, size_t);
static char	*resolve_list(const char *, const char *);

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		abort();
	return q;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

static const struct cfg_sectdef *
sectdef(const char *type)
{
	const struct cfg_sectdef *d;

	for (d = cfg_sectdefs; d->name != NULL; d++)
		if (strcmp(d->name, type) == 0)
			return d;
	return NULL;
}

static const struct cfg_keydef *
keydef(const char *type, const char *key)
{
	const struct cfg_keydef *d;

	for (d = cfg_keydefs; d->section != NULL; d++)
		if (strcmp(d->section, type) == 0 && strcmp(d->key, key) == 0)
			return d;
	return NULL;
}

static int
line_cb(void *user, int lineno, const char *raw, const char *section,
    const char *key, const char *val)
{
	struct parse *p = user;

	p->lineno = lineno;
	snprintf(p->line, sizeof(p->line), "%s", raw);
	return handler(p, section, key, val) ? 0 : 1;
}

#define PERR(p, ...) do {						\
	if (!(p)->failed) {						\
		int n_ = snprintf((p)->err, (p)->errlen, "%s:%d: ",	\
		    (p)->cfg->path, (p)->lineno);			\
		if (n_ > 0 && (size_t)n_ < (p)->errlen)			\
			n_ += snprintf((p)->err + n_, (p)->errlen - n_,	\
			    __VA_ARGS__);				\
		if (n_ > 0 && (size_t)n_ < (p)->errlen)			\
			snprintf((p)->err + n_, (p)->errlen - n_,	\
			    ": \"%s\"", (p)->line);			\
		(p)->failed = 1;					\
	}								\
	return 0;							\
} while (0)

static struct cfg_sect *
sect_get(struct cfg *cfg, const char *type, const char *name, int line)
{
	struct cfg_sect *s;
	size_t i;

	for (i = 0; i < cfg->nsect; i++) {
		s = &cfg->sect[i];
		if (strcmp(s->type, type) != 0)
			continue;
		if ((name == NULL) != (s->name == NULL))
			continue;
		if (name == NULL || strcmp(name, s->name) == 0)
			return s;
	}
	if (line < 0)
		return NULL;
	cfg->sect = xrealloc(cfg->sect, (cfg->nsect + 1) * sizeof(*cfg->sect));
	s = &cfg->sect[cfg->nsect++];
	memset(s, 0, sizeof(*s));
	s->type = xstrdup(type);
	s->name = name != NULL ? xstrdup(name) : NULL;
	s->line = line;
	return s;
}

static int
handler(void *user, const char *section, const char *key, const char *val)
{
	struct parse *p = user;
	const struct cfg_sectdef *sd;
	const struct cfg_keydef *kd;
	struct cfg_sect *s;
	char type[128], *name, ebuf[256];
	enum cfg_type t;
	size_t i;

	if (p->failed)
		return 0;
	if (strlen(section) >= sizeof(type))
		PERR(p, "section name too long");
	strcpy(type, section);
	name = strchr(type, ' ');
	if (name != NULL) {
		*name++ = '\0';
		while (*name == ' ')
			name++;
		if (*name == '\0')
			name = NULL;
	}
	if (type[0] == '\0')
		PERR(p, "key outside of any section");
	if ((sd = sectdef(type)) == NULL)
		PERR(p, "unknown section [%s]", type);
	if ((sd->flags & CFGS_NAMED) && name == NULL)
		PERR(p, "section [%s] needs a name: [%s NAME]", type, type);
	if (!(sd->flags & CFGS_NAMED) && name != NULL)
		PERR(p, "section [%s] takes no name", type);
	if (key == NULL)	/* a section header */
		return 1;
	if (sd->flags & CFGS_FREE) {
		t = sd->free_type;
	} else {
		if ((kd = keydef(type, key)) == NULL)
			PERR(p, "unknown key \"%s\" in [%s]", key, type);
		t = kd->type;
	}
	if (cfg_check_value(t, val, ebuf, sizeof(ebuf)) == -1)
		PERR(p, "%s: %s", key, ebuf);
	s = sect_get(p->cfg, type, name, p->lineno);
	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			PERR(p, "duplicate key \"%s\" (first at line %d)", key,
			    s->kv[i].line);
	s->kv = xrealloc(s->kv, (s->nkv + 1) * sizeof(*s->kv));
	s->kv[s->nkv].key = xstrdup(key);
	s->kv[s->nkv].val = xstrdup(val);
	s->kv[s->nkv].line = p->lineno;
	s->nkv++;
	return 1;
}

struct cfg *
cfg_load(const char *path, char *err, size_t errlen)
{
	struct parse p;
	struct cfg *cfg;
	char *raw = NULL;
	int r;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		abort();
	if (path == NULL)
		return cfg;
	cfg->path = xstrdup(path);
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.err = err;
	p.errlen = errlen;
	if ((p.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		cfg_free(cfg);
		return NULL;
	}
	r = inifile_parse(p.fp, INIFILE_INLINE_COMMENTS, line_cb, &p, &raw);
	fclose(p.fp);
	if (!p.failed && r > 0) {
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] "
		    "or key = value): \"%s\"", path, r, raw != NULL ? raw : "");
		p.failed = 1;
	}
	free(raw);
	if (p.failed || resolve_paths(cfg, err, errlen) == -1) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

char *
cfg_path_resolve(const char *dir, const char *v)
{
	char *s;

	if (dir == NULL || v[0] == '\0' || v[0] == '/')
		return xstrdup(v);
	while (v[0] == '.' && v[1] == '/') {
		v += 2;
		while (*v == '/')
			v++;
	}
	if (v[0] == '\0' || strcmp(v, ".") == 0)
		return xstrdup(dir);
	if (asprintf(&s, "%s%s%s", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", v) == -1)
		abort();
	return s;
}

/* Each path of a CFG_PATHLIST value resolved, joined by ", ". */
static char *
resolve_list(const char *dir, const char *v)
{
	char *w[64], *r, *s = xstrdup(""), *t;
	size_t n, i;

	n = cfg_list(v, w, sizeof(w) / sizeof(w[0]));
	for (i = 0; i < n; i++) {
		r = cfg_path_resolve(dir, w[i]);
		if (asprintf(&t, "%s%s%s", s, i > 0 ? ", " : "", r) == -1)
			abort();
		free(r);
		free(s);
		s = t;
	}
	cfg_list_free(w, n);
	return s;
}

/*
 * The file's folder, absolute; then every path value in the file, and every
 * relative path default, resolved against it.
 */
static int
resolve_paths(struct cfg *cfg, char *err, size_t errlen)
{
	const struct cfg_keydef *d;
	const struct cfg_sect *s;
	struct cfg_kv *kv;
	char cwd[PATH_MAX], *slash, *v;
	size_t i, j;

	cfg->dir = xstrdup(cfg->path);
	if ((slash = strrchr(cfg->dir, '/')) == NULL)
		cfg->dir[0] = '\0';
	else if (slash == cfg->dir)
		slash[1] = '\0';	/* "/coord.ini" */
	else
		*slash = '\0';
	if (cfg->dir[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			snprintf(err, errlen, "%s: relative paths: the working "
			    "directory: %s", cfg->path, strerror(errno));
			return -1;
		}
		v = cfg->dir[0] == '\0' ? xstrdup(cwd) :
		    cfg_path_resolve(cwd, cfg->dir);
		free(cfg->dir);
		cfg->dir = v;
	}
	for (i = 0; i < cfg->nsect; i++)
		for (j = 0; j < cfg->sect[i].nkv; j++) {
			kv = &cfg->sect[i].kv[j];
			d = keydef(cfg->sect[i].type, kv->key);
			if (d == NULL)
				continue;
			if (d->type == CFG_PATH)
				v = cfg_path_resolve(cfg->dir, kv->val);
			else if (d->type == CFG_PATHLIST)
				v = resolve_list(cfg->dir, kv->val);
			else
				continue;
			free(kv->val);
			kv->val = v;
		}
	for (d = cfg_keydefs; d->section != NULL; d++) {
		if ((d->type != CFG_PATH && d->type != CFG_PATHLIST) ||
		    d->def == NULL || d->def[0] == '\0' || d->def[0] == '/')
			continue;
		s = sect_find(cfg, d->section);
		if (cfg_sect_kv(s, d->key) != NULL)
			continue;
		cfg->pathdef = xrealloc(cfg->pathdef,
		    (cfg->npathdef + 1) * sizeof(*cfg->pathdef));
		kv = &cfg->pathdef[cfg->npathdef++];
		if (asprintf(&kv->key, "%s %s", d->section, d->key) == -1)
			abort();
		kv->val = d->type == CFG_PATH ?
		    cfg_path_resolve(cfg->dir, d->def) :
		    resolve_list(cfg->dir, d->def);
		kv->line = 0;
	}
	return 0;
}

void
cfg_free(struct cfg *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nsect; i++) {
		for (j = 0; j < cfg->sect[i].nkv; j++) {
			free(cfg->sect[i].kv[j].key);
			free(cfg->sect[i].kv[j].val);
		}
		free(cfg->sect[i].kv);
		free(cfg->sect[i].type);
		free(cfg->sect[i].name);
	}
	free(cfg->sect);
	for (i = 0; i < cfg->npathdef; i++) {
		free(cfg->pathdef[i].key);
		free(cfg->pathdef[i].val);
	}
	free(cfg->pathdef);
	free(cfg->dir);
	free(cfg->path);
	free(cfg);
}

static const struct cfg_sect *
sect_find(const struct cfg *cfg, const char *type)
{
	return sect_get((struct cfg *)(uintptr_t)cfg, type, NULL, -1);
}

static const char *
defval(const char *type, const char *key)
{
	const struct cfg_keydef *d = keydef(type, key);

	return d != NULL ? d->def : NULL;
}

/* A relative path default, resolved at load; NULL if there is none. */
static const char *
pathdef(const struct cfg *cfg, const char *type, const char *key)
{
	size_t i, n = strlen(type);
	const char *k;

	for (i = 0; i < cfg->npathdef; i++) {
		k = cfg->pathdef[i].key;
		if (strncmp(k, type, n) == 0 && k[n] == ' ' &&
		    strcmp(k + n + 1, key) == 0)
			return cfg->pathdef[i].val;
	}
	return NULL;
}

const struct cfg_kv *
cfg_sect_kv(const struct cfg_sect *s, const char *key)
{
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

const char *
cfg_sect_str(const struct cfg_sect *s, const char *key)
{
	const struct cfg_kv *kv = cfg_sect_kv(s, key);

	if (kv != NULL)
		return kv->val;
	return s != NULL ? defval(s->type, key) : NULL;
}

long long
cfg_sect_int(const struct cfg_sect *s, const char *key)
{
	const char *v = cfg_sect_str(s, key);
	long long n = 0;

	if (v != NULL)
		(void)cfg_parse_int(v, &n);
	return n;
}

const char *
cfg_str(const struct cfg *cfg, const char *type, const char *key)
{
	const struct cfg_kv *kv = cfg_sect_kv(sect_find(cfg, type), key);
	const char *v;

	if (kv != NULL)
		return kv->val;
	if ((v = pathdef(cfg, type, key)) != NULL)
		return v;
	return defval(type, key);
}

long long
cfg_int(const struct cfg *cfg, const char *type, const char *key)
{
	const char *v = cfg_str(cfg, type, key);
	long long n = 0;

	if (v != NULL)
		(void)cfg_parse_int(v, &n);
	return n;
}

int
cfg_bool(const struct cfg *cfg, const char *type, const char *key)
{
	const char *v = cfg_str(cfg, type, key);
	int b = 0;

	if (v != NULL)
		(void)cfg_parse_bool(v, &b);
	return b;
}

long long
cfg_ms(const struct cfg *cfg, const char *type, const char *key)
{
	const char *v = cfg_str(cfg, type, key);
	long long ms = 0;

	if (v != NULL)
		(void)cfg_parse_dur(v, &ms);
	return ms;
}

unsigned long long
cfg_size(const struct cfg *cfg, const char *type, const char *key)
{
	const char *v = cfg_str(cfg, type, key);
	unsigned long long n = 0;

	if (v != NULL)
		(void)cfg_parse_size(v, &n);
	return n;
}

int
cfg_line(const struct cfg *cfg, const char *type, const char *key)
{
	const struct cfg_kv *kv = cfg_sect_kv(sect_find(cfg, type), key);

	return kv != NULL ? kv->line : 0;
}

const char *
cfg_where(const struct cfg *cfg, const char *type, const char *key)
{
	static char buf[PATH_MAX + 32];
	int line = cfg_line(cfg, type, key);

	if (line == 0 || cfg->path == NULL)
		snprintf(buf, sizeof(buf), "default [%s] %s", type, key);
	else
		snprintf(buf, sizeof(buf), "%s:%d", cfg->path, line);
	return buf;
}

const struct cfg_sect *
cfg_next(const struct cfg *cfg, const char *type, const struct cfg_sect *prev)
{
	size_t i = prev == NULL ? 0 : (size_t)(prev - cfg->sect) + 1;

	for (; i < cfg->nsect; i++)
		if (strcmp(cfg->sect[i].type, type) == 0)
			return &cfg->sect[i];
	return NULL;
}

size_t
cfg_list(const char *v, char **out, size_t max)
{
	size_t n = 0, len;
	const char *p = v;

	while (p != NULL && *p != '\0' && n < max) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0) {
			out[n] = strndup(p, len);
			if (out[n] == NULL)
				abort();
			n++;
		}
		p += strcspn(p, ",");
	}
	return n;
}

void
cfg_list_free(char **v, size_t n)
{
	while (n-- > 0)
		free(v[n]);
}

int
cfg_parse_int(const char *s, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = n;
	return 0;
}

int
cfg_parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1", NULL };
	static const char *no[] = { "no", "false", "off", "0", NULL };
	int i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	return -1;
}

/* "500ms", "6s", "1m", "2h", "1d", "1.5s"; a bare "0" is zero. */
int
cfg_parse_dur(const char *s, long long *ms)
{
	static const struct { const char *unit; double mul; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }, { NULL, 0 }
	};
	char *end;
	double v;
	int i;

	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	for (i = 0; units[i].unit != NULL; i++)
		if (strcmp(end, units[i].unit) == 0) {
			v *= units[i].mul;
			if (v > 9.2e18)
				return -1;
			*ms = (long long)v;
			return 0;
		}
	return -1;
}

int
cfg_parse_size(const char *s, unsigned long long *out)
{
	static const struct { const char *unit; unsigned long long mul; } u[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", 1ULL << 10 },
		{ "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 }, { NULL, 0 }
	};
	unsigned long long n;
	char *end;
	int i;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	for (i = 0; u[i].unit != NULL; i++)
		if (strcmp(end, u[i].unit) == 0) {
			if (n > ULLONG_MAX / u[i].mul)
				return -1;
			*out = n * u[i].mul;
			return 0;
		}
	return -1;
}


int
cfg_check_value(enum cfg_type t, const char *v, char *err, size_t errlen)
{
	unsigned long long u;
	unsigned char key[32];
	long long n;
	int b;

	switch (t) {
	case CFG_STR:
	case CFG_LIST:
	case CFG_PATH:
	case CFG_PATHLIST:
		return 0;
	case CFG_INT:
		if (cfg_parse_int(v, &n) == 0)
			return 0;
		snprintf(err, errlen, "not an integer");
		return -1;
	case CFG_BOOL:
		if (cfg_parse_bool(v, &b) == 0)
			return 0;
		snprintf(err, errlen, "not a boolean (yes/no)");
		return -1;
	case CFG_DUR:
		if (cfg_parse_dur(v, &n) == 0)
			return 0;
		snprintf(err, errlen, "not a duration (e.g. 500ms, 6s, 1m, 2h)");
		return -1;
	case CFG_SIZE:
		if (cfg_parse_size(v, &u) == 0)
			return 0;
		snprintf(err, errlen, "not a size (e.g. 4096, 64KiB, 1MiB)");
		return -1;
	case CFG_HEX32:
		if (hex_decode(v, key, sizeof(key)) == 0)
			return 0;
		snprintf(err, errlen, "not 32 bytes of hex (64 digits)");
		return -1;
	}
	snprintf(err, errlen, "bad type");
	return -1;
}

int
cfg_secret_read(const char *path, void *buf, size_t *len, char *err,
    size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: secret file is mode %04o; it must "
		    "be 0600 or stricter (chmod 600 %s)", path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	if ((size_t)st.st_size > *len) {
		snprintf(err, errlen, "%s: too large (%lld bytes, at most %zu)",
		    path, (long long)st.st_size, *len);
		close(fd);
		return -1;
	}
	while (got < *len) {
		n = read(fd, (char *)buf + got, *len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	*len = got;
	return 0;
}

/*
 * A 32-byte key file (the p2p identity's Ed25519 seed, the archive key):
 * cfg_secret_read's checks, then 32 raw bytes, or 64 hex digits with
 * white space around or between them.
 */
int
cfg_key32_read(const char *path, uint8_t *out, char *err, size_t errlen)
{
	uint8_t raw[200];
	char hex[64];
	size_t len = sizeof(raw), i, n = 0;
	int rc = -1;

	if (cfg_secret_read(path, raw, &len, err, errlen) == -1)
		return -1;
	if (len == 32) {
		memcpy(out, raw, 32);
		rc = 0;
	} else {
		for (i = 0; i < len; i++) {
			if (isspace(raw[i]))
				continue;
			if (n == sizeof(hex) || !isxdigit(raw[i]))
				break;
			hex[n++] = (char)raw[i];
		}
		if (i == len && n == sizeof(hex) &&
		    hex_decode_span(hex, out, 32) == 0)
			rc = 0;
		else
			snprintf(err, errlen, "%s: not a key file: 32 bytes, "
			    "raw or as 64 hex digits (%zu bytes read)", path,
			    len);
	}
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(hex, sizeof(hex));
	return rc;
}
