/*
 * rpcsrv: a scriptable loopback HTTP/1.1 JSON-RPC server for tests, run in
 * a thread of the test program.  The n-th request gets the n-th action of
 * the script, later ones the default action.  It counts requests and
 * accepted connections and notes when each request arrived.
 *
 * SRV_SERVE answers like a JSON-RPC server with these methods: "echo"
 * (result: the params), "null" (result null), "fail" (error -32000
 * "failed", data: the params), in a batch also "missing" (no response) and
 * "dup" (two responses); any other is error -32601.  Batch responses come
 * in reverse order.
 */
#ifndef RPCSRV_H
#define RPCSRV_H

#include <stddef.h>

enum srv_kind {
	SRV_SERVE,
	SRV_STATUS,	/* HTTP status `status`, a text body */
	SRV_DELAY,	/* SRV_SERVE after delay_ms, if the client waits */
	SRV_CLOSE,	/* close the connection without a word */
	SRV_CLOSE_MID,	/* headers promise 100 bytes, send 11, close */
	SRV_GARBAGE,	/* not HTTP at all, then close */
	SRV_BADHTTP,	/* a malformed HTTP status line, then close */
	SRV_RAW,	/* 200 with `body`, "$ID" replaced by the request id */
	SRV_BIG,	/* 200, a string result of `size` bytes */
	SRV_BIG_NOLEN,	/* the same without Content-Length, then close */
};

struct srv_act {
	enum srv_kind	 kind;
	int		 status;
	long		 delay_ms;
	const char	*body;
	size_t		 size;
};

#define RPCSRV_MAX_TIMES	256

struct rpcsrv_stats {
	unsigned	 requests;
	unsigned	 connections;
	int		 expect_seen;		/* an "Expect:" header came */
	char		 content_type[64];	/* of the last request */
	char		 last_body[8192];	/* truncated */
	long		 t_ms[RPCSRV_MAX_TIMES];	/* arrival, monotonic */
};

struct rpcsrv;

/* NULL (with a message on stderr) if it cannot listen. */
struct rpcsrv	*rpcsrv_start(const struct srv_act *, size_t,
		    const struct srv_act *);
void		 rpcsrv_stop(struct rpcsrv *);
int		 rpcsrv_port(const struct rpcsrv *);
void		 rpcsrv_stats(struct rpcsrv *, struct rpcsrv_stats *);
/* Wait until n requests came: 0, or -1 after timeout_ms. */
int		 rpcsrv_wait(struct rpcsrv *, unsigned, long);
long		 rpcsrv_now_ms(void);

#endif
