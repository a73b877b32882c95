/*
 * coord: the /serai/coordinator/1.0.0 frame codec (see coord.h).
 */
#include <stdio.h>
#include <string.h>

#include "connector/coord.h"
#include "connector/varint.h"

enum { RX_LEN, RX_BODY, RX_SKIP };

void
coord_rx_init(struct coord_rx *rx, size_t max)
{
	memset(rx, 0, sizeof(*rx));
	rx->max = max;
	buf_init(&rx->body);
}

void
coord_rx_free(struct coord_rx *rx)
{
	buf_free(&rx->body);
}

int
coord_rx_next(struct coord_rx *rx, const uint8_t *p, size_t n, size_t *used,
    struct coord_frame *f, char *err, size_t errlen)
{
	const uint8_t *b;
	size_t	 i = 0, k, vused;
	uint64_t v;
	int	 r;

	while (i < n) {
		switch (rx->state) {
		case RX_LEN:
			rx->lenbuf[rx->lenlen++] = p[i++];
			r = uvarint_get(rx->lenbuf, rx->lenlen, &v, &vused);
			if (r == 0)
				continue;
			if (r == -1) {
				snprintf(err, errlen, "coord: bad frame length "
				    "prefix");
				goto fail;
			}
			rx->lenlen = 0;
			if (v < COORD_HDR) {
				snprintf(err, errlen, "coord: frame of %llu "
				    "bytes is shorter than its header",
				    (unsigned long long)v);
				goto fail;
			}
			rx->flen = v;
			rx->target = (size_t)(v > rx->max + COORD_HDR ?
			    COORD_HDR : v);
			rx->skip = v - rx->target;
			buf_reset(&rx->body);
			rx->state = RX_BODY;
			continue;
		case RX_SKIP:
			k = n - i;
			if (k > rx->skip)
				k = (size_t)rx->skip;
			i += k;
			rx->skip -= k;
			if (rx->skip == 0)
				rx->state = RX_LEN;
			continue;
		case RX_BODY:
			break;
		}
		k = rx->target - buf_len(&rx->body);
		if (k > n - i)
			k = n - i;
		buf_append(&rx->body, p + i, k);
		i += k;
		if (buf_len(&rx->body) < rx->target)
			continue;
		b = buf_data(&rx->body);
		memset(f, 0, sizeof(*f));
		f->kind = b[0];
		memcpy(f->intent, b + 1, COORD_INTENT);
		f->fulllen = rx->flen;
		rx->state = rx->skip > 0 ? RX_SKIP : RX_LEN;
		switch (f->kind) {
		case COORD_MSG:
			if (rx->skip > 0)
				f->oversize = 1;
			else {
				f->data = b + COORD_HDR;
				f->len = rx->target - COORD_HDR;
			}
			break;
		case COORD_ACK:
			if (rx->flen != COORD_HDR) {
				snprintf(err, errlen, "coord: ACK frame of %llu "
				    "bytes", (unsigned long long)rx->flen);
				goto fail;
			}
			break;
		case COORD_REJECT:
			if (rx->flen != COORD_HDR + 1) {
				snprintf(err, errlen, "coord: REJECT frame of "
				    "%llu bytes", (unsigned long long)rx->flen);
				goto fail;
			}
			f->reason = b[COORD_HDR];
			break;
		default:
			snprintf(err, errlen, "coord: unknown frame kind %d",
			    f->kind);
			goto fail;
		}
		*used = i;
		return 1;
	}
	*used = i;
	return 0;
fail:
	*used = i;
	rx->state = RX_LEN;
	rx->lenlen = 0;
	return -1;
}

static void
put_hdr(struct buf *out, size_t len, int kind, const uint8_t *intent)
{
	uint8_t	 v[UVARINT_MAX], k = (uint8_t)kind;

	buf_append(out, v, uvarint_put(v, len));
	buf_append(out, &k, 1);
	buf_append(out, intent, COORD_INTENT);
}

void
coord_put_msg(struct buf *out, const uint8_t *intent, const uint8_t *data,
    size_t len)
{
	put_hdr(out, COORD_HDR + len, COORD_MSG, intent);
	buf_append(out, data, len);
}

void
coord_put_ack(struct buf *out, const uint8_t *intent)
{
	put_hdr(out, COORD_HDR, COORD_ACK, intent);
}

void
coord_put_reject(struct buf *out, const uint8_t *intent, int reason)
{
	uint8_t	 r = (uint8_t)reason;

	put_hdr(out, COORD_HDR + 1, COORD_REJECT, intent);
	buf_append(out, &r, 1);
}
