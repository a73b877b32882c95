/*
 * cfg: the one INI configuration file every binary shares.
 *
 * The file is parsed by inifile.c and checked against one schema (cfgschema.c)
 * covering every section of every binary, so a typo anywhere is caught by
 * any binary's -n: unknown sections and keys, duplicate keys and values of
 * the wrong type are errors naming file:line.  Sections may carry a name,
 * "[validator alice]".  Free sections ([kafka], [trust]) accept any key and
 * are checked by their consumer (librdkafka, the key loader).
 *
 * Getters return the value in the file or the schema's default; values were
 * type-checked at load, so getters cannot fail.
 *
 * Paths (CFG_PATH, CFG_PATHLIST keys) that are relative, whether written in
 * the file or defaults, are made absolute at load against the folder of the
 * configuration file, so a binary finds the same files from any working
 * directory; an empty value stays empty.  With no file (built-in defaults
 * only) they stay relative to the working directory.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include <stdint.h>

enum cfg_type {
	CFG_STR,	/* any string */
	CFG_INT,	/* signed decimal integer */
	CFG_BOOL,	/* yes/no, true/false, on/off, 1/0 */
	CFG_DUR,	/* 500ms, 6s, 1m, 2h, 1d (unit required; "0" allowed) */
	CFG_SIZE,	/* 4096, 64KiB, 1MiB, 1GiB */
	CFG_LIST,	/* comma separated words */
	CFG_HEX32,	/* 32 bytes in hex (a public key) */
	CFG_PATH,	/* a file or directory: relative to the file's folder */
	CFG_PATHLIST,	/* comma separated paths, each as CFG_PATH */
};

struct cfg_keydef {
	const char	*section;
	const char	*key;
	enum cfg_type	 type;
	const char	*def;		/* default, as text; NULL: none */
};

#define CFGS_NAMED	0x01	/* [type NAME]: may repeat, needs a name */
#define CFGS_FREE	0x02	/* any key, checked by its consumer */

struct cfg_sectdef {
	const char	*name;
	int		 flags;
	enum cfg_type	 free_type;	/* value type of a free section */
};

extern const struct cfg_sectdef cfg_sectdefs[];
extern const struct cfg_keydef cfg_keydefs[];

struct cfg_kv {
	char	*key;
	char	*val;
	int	 line;
};

struct cfg_sect {
	char		*type;		/* "validator" */
	char		*name;		/* "alice", or NULL */
	int		 line;
	struct cfg_kv	*kv;
	size_t		 nkv;
};

struct cfg {
	char		*path;		/* NULL: built-in defaults only */
	char		*dir;		/* its folder, absolute; or NULL */
	struct cfg_sect	*sect;
	size_t		 nsect;
	struct cfg_kv	*pathdef;	/* relative path defaults, resolved; */
	size_t		 npathdef;	/* key is "section key" */
};

/* Load and check; NULL path gives the defaults. On error NULL, err set. */
struct cfg	*cfg_load(const char *, char *, size_t);
void		 cfg_free(struct cfg *);

/* The unnamed section of that type (or its defaults). */
const char	*cfg_str(const struct cfg *, const char *, const char *);
long long	 cfg_int(const struct cfg *, const char *, const char *);
int		 cfg_bool(const struct cfg *, const char *, const char *);
long long	 cfg_ms(const struct cfg *, const char *, const char *);
unsigned long long cfg_size(const struct cfg *, const char *, const char *);
int		 cfg_line(const struct cfg *, const char *, const char *);
/* "file:line" of a key for messages ("defaults" when not in the file). */
const char	*cfg_where(const struct cfg *, const char *, const char *);

/* Named sections: iterate with prev = NULL first. */
const struct cfg_sect *cfg_next(const struct cfg *, const char *,
		    const struct cfg_sect *);
const char	*cfg_sect_str(const struct cfg_sect *, const char *);
long long	 cfg_sect_int(const struct cfg_sect *, const char *);
const struct cfg_kv *cfg_sect_kv(const struct cfg_sect *, const char *);

/*
 * A relative path made absolute against dir (the configuration's folder):
 * a new string.  An empty or absolute path, or a NULL dir, is copied.
 */
char		*cfg_path_resolve(const char *, const char *);

/* Split a CFG_LIST value: fills up to max words (copies), returns count. */
size_t		 cfg_list(const char *, char **, size_t);
void		 cfg_list_free(char **, size_t);

/* Parsers shared with option handling and other file formats. */
int		 cfg_parse_int(const char *, long long *);
int		 cfg_parse_bool(const char *, int *);
int		 cfg_parse_dur(const char *, long long *);	/* ms */
int		 cfg_parse_size(const char *, unsigned long long *);
int		 cfg_check_value(enum cfg_type, const char *, char *, size_t);

/*
 * Read a secret file: refuses one readable or writable by group or others
 * (it must be mode 0600 or stricter) and one larger than *len.
 */
int		 cfg_secret_read(const char *, void *, size_t *, char *, size_t);
/* 32 bytes: raw, or 64 hex digits and white space, from a secret file */
int		 cfg_key32_read(const char *, uint8_t *, char *, size_t);

#endif
