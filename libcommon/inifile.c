/* inifile: see inifile.h. */
#include <stdlib.h>
#include <string.h>

#include "inifile.h"

static char	*trim(char *);

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); )
		*--e = '\0';
	return s;
}

int
inifile_parse(FILE *fp, int flags, inifile_cb *cb, void *user, char **raw)
{
	char *line = NULL, *copy = NULL, *section = NULL, *s, *e, *c;
	size_t cap = 0, ccap = 0;
	int lineno = 0, rc = 0;

	if (raw != NULL)
		*raw = NULL;
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (ccap < cap) {
			free(copy);
			ccap = cap;
			if ((copy = malloc(ccap)) == NULL)
				abort();
		}
		strcpy(copy, line);
		s = copy;
		if (lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		s = trim(s);
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			if ((e = strchr(s, ']')) == NULL || trim(e + 1)[0] != '\0')
				goto syntax;
			*e = '\0';
			free(section);
			if ((section = strdup(trim(s + 1))) == NULL)
				abort();
			if (cb(user, lineno, line, section, NULL, NULL) != 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if ((e = strchr(s, '=')) == NULL || e == s)
			goto syntax;
		*e++ = '\0';
		if (flags & INIFILE_INLINE_COMMENTS) {
			for (c = e; *c != '\0'; c++)
				if (*c == ';' && (c == e || c[-1] == ' ' ||
				    c[-1] == '\t')) {
					*c = '\0';
					break;
				}
		}
		if (cb(user, lineno, line, section != NULL ? section : "",
		    trim(s), trim(e)) != 0) {
			rc = -1;
			break;
		}
	}
	goto done;
syntax:
	rc = lineno;
	if (raw != NULL)
		*raw = strdup(line);
done:
	free(line);
	free(copy);
	free(section);
	return rc;
}
