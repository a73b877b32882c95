/*
 * rpc: a JSON-RPC 2.0 client over HTTP(S) with libcurl.
 *
 * One client holds one curl easy handle, so its connection is kept alive
 * between calls.  Every HTTP request has a connect and a total timeout.
 * Transient failures (connect errors, timeouts, connections closed early,
 * malformed HTTP, HTTP 408, 429 and 5xx) are retried up to max_retries
 * times with exponential backoff and full jitter; a JSON-RPC error object
 * from the server, a malformed response or another HTTP status is not.
 * Responses are validated strictly: "jsonrpc" is "2.0", the id is ours,
 * exactly one of "result" and "error".  A response larger than the limit
 * (64 MiB by default) is refused without being buffered whole.
 *
 * A client is not thread-safe; use one per thread.
 */
#ifndef RPC_H
#define RPC_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define RPC_ERR_NONE		0
#define RPC_ERR_TRANSPORT	1	/* connect, timeout, I/O, HTTP status */
#define RPC_ERR_PROTOCOL	2	/* malformed or unacceptable response */
#define RPC_ERR_SERVER		3	/* the server's JSON-RPC error object */
#define RPC_ERR_CANCELLED	4	/* the cancel callback said stop */

#define RPC_MAX_RESPONSE	(64 * 1024 * 1024)
#define RPC_MAX_BACKOFFS	16

struct rpc;

struct rpc_error {
	int	 kind;		/* RPC_ERR_* */
	long	 code;		/* SERVER: JSON-RPC code; TRANSPORT: HTTP
				   status or 0 */
	char	 msg[256];	/* one printable line */
};

struct rpc_req {
	const char	*method;
	cJSON		*params;	/* array or object, or NULL;
					   consumed (set to NULL) */
	cJSON		*result;	/* on success: the caller frees it */
	struct rpc_error error;		/* kind != RPC_ERR_NONE on failure */
	long long	 id;		/* set by rpc_batch */
};

struct rpc_stats {
	unsigned long	 calls;		/* rpc_call and rpc_batch */
	unsigned long	 requests;	/* HTTP requests sent */
	unsigned long	 retries;
	unsigned long	 connects;	/* connections opened */
	int		 nbackoff;	/* backoffs of the last call */
	long		 backoff_ms[RPC_MAX_BACKOFFS];
};

/* url is http:// or https://; NULL with err filled on error. */
struct rpc *rpc_new(const char *, long, int, char *, size_t);
void	 rpc_free(struct rpc *);

void	 rpc_set_connect_timeout(struct rpc *, long);	/* ms; default:
							   the timeout */
void	 rpc_set_backoff(struct rpc *, long, long);	/* base, cap (ms);
							   100, 10000 */
void	 rpc_set_max_response(struct rpc *, size_t);
/* Polled during transfers (about once a second) and backoffs. */
void	 rpc_set_cancel(struct rpc *, int (*)(void *), void *);
void	 rpc_stats(const struct rpc *, struct rpc_stats *);

/*
 * Call method with params (a cJSON array or object, or NULL for []; always
 * consumed).  The result (cJSON null for a null result; cJSON_Delete it) or
 * NULL with e filled.
 */
cJSON	*rpc_call(struct rpc *, const char *, cJSON *, struct rpc_error *);

/*
 * Send the n requests as one batch.  0: every reqs[i] has a result or an
 * error; -1: the whole batch failed (e filled, no results).
 */
int	 rpc_batch(struct rpc *, struct rpc_req *, size_t, struct rpc_error *);

/* The response parsers, usable without a network. */
cJSON	*rpc_parse_response(const char *, size_t, long long,
	    struct rpc_error *);
int	 rpc_parse_batch(const char *, size_t, struct rpc_req *, size_t,
	    struct rpc_error *);

#endif
