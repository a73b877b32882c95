/*
 * inifile: a small INI reader for the configuration file and the
 * supervisor's runfile.
 *
 * Why not inih: Debian's libinih is built with a 200-byte line buffer, so
 * a longer line (a list of events, a libpq conninfo, a command with
 * absolute paths) is cut in two and its tail read as a line of its own.
 * This reader has no line limit and hands the callback the line number
 * and the raw line for error messages.
 *
 * Syntax: "[section]" (the text between the brackets, trimmed), "key =
 * value" (both trimmed), blank lines, and comment lines starting with ';'
 * or '#'.  With INIFILE_INLINE_COMMENTS, " ;" or "\t;" starts a comment
 * in a value (as inih does); runfiles leave it off since commands may
 * contain ';'.  A UTF-8 byte order mark is skipped.
 */
#ifndef INIFILE_H
#define INIFILE_H

#include <stdio.h>

#define INIFILE_INLINE_COMMENTS	0x01

/*
 * Called for each section header (key and val NULL) and each key.
 * Return 0 to go on, nonzero to stop.
 */
typedef int	inifile_cb(void *, int, const char *, const char *,
		    const char *, const char *);

/*
 * 0: the whole file was read; -1: the callback stopped; N > 0: line N is
 * not INI (*raw, if not NULL, gets a malloc'd copy of it).
 */
int	inifile_parse(FILE *, int, inifile_cb *, void *, char **);

#endif
