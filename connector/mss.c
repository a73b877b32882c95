/*
 * mss: multistream-select 1.0 (see mss.h).
 */
#include <stdio.h>
#include <string.h>

#include "connector/mss.h"
#include "connector/varint.h"

static int	mss_read(struct buf *, char *, size_t, char *, size_t);
static void	mss_printable(const char *, char *, size_t);

void
mss_init(struct mss *m, int dialer, const char *const *protos, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->dialer = dialer;
	m->protos = protos;
	m->nprotos = n;
}

void
mss_write(struct buf *out, const char *s)
{
	uint8_t	 v[UVARINT_MAX];
	size_t	 n = strlen(s);

	buf_append(out, v, uvarint_put(v, n + 1));
	buf_append(out, s, n);
	buf_append(out, "\n", 1);
}

void
mss_start(struct mss *m, struct buf *out)
{
	if (!m->dialer || m->sent_header)
		return;
	mss_write(out, MSS_PROTOCOL);
	m->sent_header = 1;
	if (m->nprotos > 0)
		mss_write(out, m->protos[0]);
}

/*
 * Take one message off in: 1 and line (without newline) set, 0 when more
 * input is needed, -1 when malformed.
 */
static int
mss_read(struct buf *in, char *line, size_t linecap, char *err, size_t errlen)
{
	const uint8_t *p = buf_data(in);
	size_t	 n = buf_len(in), used, i;
	uint64_t len;
	int	 r;

	if ((r = uvarint_get(p, n, &len, &used)) == 0)
		return 0;
	if (r == -1) {
		snprintf(err, errlen, "multistream: bad length prefix");
		return -1;
	}
	if (len == 0 || len > MSS_MSGMAX || len > linecap) {
		snprintf(err, errlen, "multistream: message length %llu out "
		    "of range 1..%d", (unsigned long long)len, MSS_MSGMAX);
		return -1;
	}
	if (n - used < len)
		return 0;
	p += used;
	if (p[len - 1] != '\n') {
		snprintf(err, errlen, "multistream: message does not end in a "
		    "newline");
		return -1;
	}
	for (i = 0; i + 1 < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(err, errlen, "multistream: control byte 0x%02x "
			    "in a message", p[i]);
			return -1;
		}
	}
	memcpy(line, p, len - 1);
	line[len - 1] = '\0';
	buf_consume(in, used + len);
	return 1;
}

static void
mss_printable(const char *s, char *out, size_t outlen)
{
	snprintf(out, outlen, "%.64s%s", s, strlen(s) > 64 ? "..." : "");
}

enum mss_result
mss_input(struct mss *m, struct buf *in, struct buf *out, char *err,
    size_t errlen)
{
	char	 line[MSS_MSGMAX], shown[80];
	size_t	 i;
	int	 r;

	while (!m->done) {
		if ((r = mss_read(in, line, sizeof(line), err, errlen)) <= 0)
			return r == 0 ? MSS_MORE : MSS_ERR;
		mss_printable(line, shown, sizeof(shown));
		if (!m->got_header) {
			if (strcmp(line, MSS_PROTOCOL) != 0) {
				snprintf(err, errlen, "multistream: expected "
				    "header %s, got \"%s\"", MSS_PROTOCOL, shown);
				return MSS_ERR;
			}
			m->got_header = 1;
			if (!m->dialer && !m->sent_header) {
				mss_write(out, MSS_PROTOCOL);
				m->sent_header = 1;
			}
			continue;
		}
		if (m->dialer) {
			if (m->next >= m->nprotos) {
				snprintf(err, errlen, "multistream: unexpected "
				    "message \"%s\"", shown);
				return MSS_ERR;
			}
			if (strcmp(line, m->protos[m->next]) == 0) {
				snprintf(m->selected, sizeof(m->selected), "%s",
				    line);
				m->done = 1;
				return MSS_DONE;
			}
			if (strcmp(line, "na") != 0) {
				snprintf(err, errlen, "multistream: proposed "
				    "\"%s\", got \"%s\"", m->protos[m->next],
				    shown);
				return MSS_ERR;
			}
			if (++m->next == m->nprotos) {
				snprintf(err, errlen, "multistream: peer refused "
				    "every protocol (last \"%s\")",
				    m->protos[m->nprotos - 1]);
				return MSS_NOPROTO;
			}
			mss_write(out, m->protos[m->next]);
			continue;
		}
		/* listener */
		for (i = 0; i < m->nprotos; i++)
			if (strcmp(line, m->protos[i]) == 0)
				break;
		if (i < m->nprotos) {
			mss_write(out, line);
			snprintf(m->selected, sizeof(m->selected), "%s", line);
			m->done = 1;
			return MSS_DONE;
		}
		if (strcmp(line, MSS_PROTOCOL) == 0) {
			snprintf(err, errlen, "multistream: header sent twice");
			return MSS_ERR;
		}
		if (++m->nna > MSS_MAXNA) {
			snprintf(err, errlen, "multistream: %d protocols "
			    "refused, giving up (last \"%s\")", MSS_MAXNA,
			    shown);
			return MSS_ERR;
		}
		mss_write(out, "na");
	}
	return MSS_DONE;
}
