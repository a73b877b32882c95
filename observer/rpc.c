/*
 * rpc: see rpc.h.
 */
#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "observer/rpc.h"

#define RPC_DEFAULT_BACKOFF	100	/* ms */
#define RPC_DEFAULT_BACKOFF_MAX	10000	/* ms */
#define RPC_SLEEP_SLICE		50	/* ms between cancel checks */

struct rpc {
	CURL			*curl;
	struct curl_slist	*headers;
	char			*url;
	long			 timeout_ms;
	long			 connect_timeout_ms;
	int			 max_retries;
	long			 backoff_ms;
	long			 backoff_max_ms;
	size_t			 max_response;
	int			(*cancel)(void *);
	void			*cancel_arg;
	long long		 next_id;
	uint64_t		 rng;
	struct rpc_stats	 stats;

	/* The response being received. */
	char			*buf;
	size_t			 len;
	size_t			 cap;
	int			 too_big;
	char			 curlerr[CURL_ERROR_SIZE];
};

static void	 rpc_err(struct rpc_error *, int, long, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	 rpc_setup(struct rpc *, char *, size_t);
static int	 rpc_http(struct rpc *, const char *, size_t,
		    struct rpc_error *);
static int	 rpc_transient(CURLcode);
static int	 rpc_backoff(struct rpc *, int);
static int	 rpc_cancelled(struct rpc *);
static uint64_t	 rpc_random(struct rpc *);
static size_t	 rpc_write(char *, size_t, size_t, void *);
static int	 rpc_progress(void *, curl_off_t, curl_off_t, curl_off_t,
		    curl_off_t);
static cJSON	*rpc_request(const char *, cJSON *, long long,
		    struct rpc_error *);
static cJSON	*parse_body(const char *, size_t, struct rpc_error *);
static int	 check_response(cJSON *, long long *, int *, cJSON **,
		    struct rpc_error *);
static int	 json_id(const cJSON *, long long *);
static void	 printable(char *);

struct rpc *
rpc_new(const char *url, long timeout_ms, int max_retries, char *err,
    size_t errlen)
{
	struct rpc *r;

	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)) {
		snprintf(err, errlen, "RPC URL must start with http:// or "
		    "https://");
		return NULL;
	}
	if (timeout_ms <= 0 || max_retries < 0) {
		snprintf(err, errlen, "RPC timeout must be positive and "
		    "retries not negative");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->url = strdup(url)) == NULL) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->timeout_ms = timeout_ms;
	r->connect_timeout_ms = timeout_ms;
	r->max_retries = max_retries;
	r->backoff_ms = RPC_DEFAULT_BACKOFF;
	r->backoff_max_ms = RPC_DEFAULT_BACKOFF_MAX;
	r->max_response = RPC_MAX_RESPONSE;
	r->next_id = 1;
	if (getrandom(&r->rng, sizeof(r->rng), GRND_NONBLOCK) !=
	    sizeof(r->rng))
		r->rng = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	r->rng |= 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init failed");
		free(r->url);
		free(r);
		return NULL;
	}
	if (rpc_setup(r, err, errlen) == -1) {
		rpc_free(r);
		return NULL;
	}
	return r;
}

void
rpc_free(struct rpc *r)
{
	if (r == NULL)
		return;
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
	curl_slist_free_all(r->headers);
	curl_global_cleanup();
	free(r->url);
	free(r->buf);
	free(r);
}

void
rpc_set_connect_timeout(struct rpc *r, long ms)
{
	if (ms > 0) {
		r->connect_timeout_ms = ms;
		curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
	}
}

void
rpc_set_backoff(struct rpc *r, long base_ms, long max_ms)
{
	if (base_ms >= 0)
		r->backoff_ms = base_ms;
	if (max_ms >= 0)
		r->backoff_max_ms = max_ms;
}

void
rpc_set_max_response(struct rpc *r, size_t max)
{
	r->max_response = max;
	curl_easy_setopt(r->curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)max);
}

void
rpc_set_cancel(struct rpc *r, int (*cancel)(void *), void *arg)
{
	r->cancel = cancel;
	r->cancel_arg = arg;
	curl_easy_setopt(r->curl, CURLOPT_NOPROGRESS, cancel == NULL ? 1L : 0L);
}

void
rpc_stats(const struct rpc *r, struct rpc_stats *st)
{
	*st = r->stats;
}

cJSON *
rpc_call(struct rpc *r, const char *method, cJSON *params,
    struct rpc_error *e)
{
	long long id = r->next_id++;
	cJSON *req;
	char *body;
	int rc;

	memset(e, 0, sizeof(*e));
	r->stats.calls++;
	r->stats.nbackoff = 0;
	if ((req = rpc_request(method, params, id, e)) == NULL)
		return NULL;
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (body == NULL) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "out of memory");
		return NULL;
	}
	rc = rpc_http(r, body, strlen(body), e);
	free(body);
	if (rc == -1)
		return NULL;
	return rpc_parse_response(r->buf, r->len, id, e);
}

int
rpc_batch(struct rpc *r, struct rpc_req *reqs, size_t n, struct rpc_error *e)
{
	struct rpc_error one;
	cJSON *arr, *req;
	char *body = NULL;
	size_t i;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	r->stats.calls++;
	r->stats.nbackoff = 0;
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		reqs[i].id = r->next_id++;
		reqs[i].result = NULL;
		memset(&reqs[i].error, 0, sizeof(reqs[i].error));
		req = rpc_request(reqs[i].method, reqs[i].params, reqs[i].id,
		    &one);
		reqs[i].params = NULL;
		if (req == NULL) {
			if (e->kind == RPC_ERR_NONE)
				*e = one;
		} else if (!cJSON_AddItemToArray(arr, req)) {
			cJSON_Delete(req);
			if (e->kind == RPC_ERR_NONE)
				rpc_err(e, RPC_ERR_PROTOCOL, 0,
				    "out of memory");
		}
	}
	if (arr == NULL && e->kind == RPC_ERR_NONE)
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "out of memory");
	if (e->kind != RPC_ERR_NONE)
		goto out;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if ((body = cJSON_PrintUnformatted(arr)) == NULL) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "out of memory");
		goto out;
	}
	if (rpc_http(r, body, strlen(body), e) == -1)
		goto out;
	rc = rpc_parse_batch(r->buf, r->len, reqs, n, e);
out:
	free(body);
	cJSON_Delete(arr);
	return rc;
}

/* ------------------------------------------------------------ HTTP */

static void
rpc_err(struct rpc_error *e, int kind, long code, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	printable(e->msg);
}

static int
rpc_setup(struct rpc *r, char *err, size_t errlen)
{
	struct curl_slist *h;
	CURLcode rc = CURLE_OK;

	if ((r->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (h != NULL)
		r->headers = h;
	if (h != NULL)
		h = curl_slist_append(r->headers, "Accept: application/json");
	/* No "Expect: 100-continue" round trip for larger bodies. */
	if (h != NULL)
		h = curl_slist_append(r->headers, "Expect:");
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
#define SET(opt, val)	do {						\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(r->curl, opt, val);		\
} while (0)
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_HTTPHEADER, r->headers);
	SET(CURLOPT_TIMEOUT_MS, r->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
	SET(CURLOPT_WRITEFUNCTION, rpc_write);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_XFERINFOFUNCTION, rpc_progress);
	SET(CURLOPT_XFERINFODATA, r);
	SET(CURLOPT_NOPROGRESS, 1L);
	SET(CURLOPT_ERRORBUFFER, r->curlerr);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_response);
	SET(CURLOPT_USERAGENT, "serai-coordinator");
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
#undef SET
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "curl: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * POST body, retrying transient failures.  0 with the 2xx response in
 * r->buf, r->len, or -1 with e filled.
 */
static int
rpc_http(struct rpc *r, const char *body, size_t len, struct rpc_error *e)
{
	CURLcode rc;
	long status, nconn;
	int attempt;

	curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	for (attempt = 0;; attempt++) {
		if (rpc_cancelled(r)) {
			rpc_err(e, RPC_ERR_CANCELLED, 0, "cancelled");
			return -1;
		}
		r->len = 0;
		r->too_big = 0;
		r->curlerr[0] = '\0';
		status = nconn = 0;
		r->stats.requests++;
		rc = curl_easy_perform(r->curl);
		if (curl_easy_getinfo(r->curl, CURLINFO_NUM_CONNECTS,
		    &nconn) == CURLE_OK && nconn > 0)
			r->stats.connects += nconn;
		if (rc == CURLE_OK)
			curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE,
			    &status);
		if (rc == CURLE_OK && status >= 200 && status <= 299)
			return 0;
		if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			rpc_err(e, RPC_ERR_PROTOCOL, 0,
			    "response larger than %zu bytes", r->max_response);
			return -1;
		}
		if (rc == CURLE_ABORTED_BY_CALLBACK) {
			rpc_err(e, RPC_ERR_CANCELLED, 0, "cancelled");
			return -1;
		}
		if (rc == CURLE_OK)
			rpc_err(e, RPC_ERR_TRANSPORT, status, "HTTP status %ld",
			    status);
		else
			rpc_err(e, RPC_ERR_TRANSPORT, 0, "%s",
			    r->curlerr[0] != '\0' ? r->curlerr :
			    curl_easy_strerror(rc));
		if (rc == CURLE_OK ? status != 408 && status != 429 &&
		    status < 500 : !rpc_transient(rc))
			return -1;
		if (attempt >= r->max_retries) {
			if (attempt > 0) {
				size_t l = strlen(e->msg);

				snprintf(e->msg + l, sizeof(e->msg) - l,
				    " (%d attempts)", attempt + 1);
			}
			return -1;
		}
		if (rpc_backoff(r, attempt) == -1) {
			rpc_err(e, RPC_ERR_CANCELLED, 0, "cancelled");
			return -1;
		}
		r->stats.retries++;
	}
}

/* Failures worth another try: the network, or a server in trouble. */
static int
rpc_transient(CURLcode rc)
{
	switch (rc) {
	/*
	 * The URL's scheme was checked and redirects are off, so this is
	 * a reply that is not HTTP (curl refuses HTTP/0.9) or has a bad
	 * status line.
	 */
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

/*
 * Sleep a uniformly random time in [0, min(cap, base * 2^attempt)] ms
 * ("full jitter").  -1 if cancelled meanwhile.
 */
static int
rpc_backoff(struct rpc *r, int attempt)
{
	struct timespec ts;
	long ceiling, delay, left, deadline, slice;

	ceiling = r->backoff_ms;
	while (attempt-- > 0 && ceiling < r->backoff_max_ms)
		ceiling *= 2;
	if (ceiling > r->backoff_max_ms)
		ceiling = r->backoff_max_ms;
	delay = ceiling > 0 ? (long)(rpc_random(r) % (uint64_t)(ceiling + 1)) :
	    0;
	if (r->stats.nbackoff < RPC_MAX_BACKOFFS)
		r->stats.backoff_ms[r->stats.nbackoff++] = delay;
	deadline = (long)clock_mono_ms() + delay;
	while ((left = deadline - (long)clock_mono_ms()) > 0) {
		if (rpc_cancelled(r))
			return -1;
		slice = left < RPC_SLEEP_SLICE ? left : RPC_SLEEP_SLICE;
		ts.tv_sec = slice / 1000;
		ts.tv_nsec = slice % 1000 * 1000000L;
		nanosleep(&ts, NULL);
	}
	return rpc_cancelled(r) ? -1 : 0;
}

static int
rpc_cancelled(struct rpc *r)
{
	return r->cancel != NULL && r->cancel(r->cancel_arg);
}


/* xorshift64*: jitter only, nothing secret. */
static uint64_t
rpc_random(struct rpc *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 0x2545f4914f6cdd1dULL;
}

static size_t
rpc_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct rpc *r = arg;
	size_t n = size * nmemb, cap;
	char *nb;

	if (n > r->max_response || r->len > r->max_response - n) {
		r->too_big = 1;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		cap = r->cap > 0 ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		if ((nb = realloc(r->buf, cap)) == NULL)
			return 0;
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

static int
rpc_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return rpc_cancelled(arg);
}

/* ------------------------------------------------------------ JSON-RPC */

/* {"jsonrpc":"2.0","id":id,"method":method,"params":params}; consumes it. */
static cJSON *
rpc_request(const char *method, cJSON *params, long long id,
    struct rpc_error *e)
{
	cJSON *o;

	if (method == NULL || (params != NULL && !cJSON_IsArray(params) &&
	    !cJSON_IsObject(params))) {
		cJSON_Delete(params);
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "%s", method == NULL ?
		    "no method" : "params must be an array or an object");
		return NULL;
	}
	if (params == NULL && (params = cJSON_CreateArray()) == NULL)
		goto oom;
	if ((o = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(params);
		goto oom;
	}
	if (cJSON_AddStringToObject(o, "jsonrpc", "2.0") == NULL ||
	    cJSON_AddNumberToObject(o, "id", (double)id) == NULL ||
	    cJSON_AddStringToObject(o, "method", method) == NULL ||
	    !cJSON_AddItemToObject(o, "params", params)) {
		cJSON_Delete(o);
		cJSON_Delete(params);
		goto oom;
	}
	return o;
oom:
	rpc_err(e, RPC_ERR_PROTOCOL, 0, "out of memory");
	return NULL;
}

cJSON *
rpc_parse_response(const char *buf, size_t len, long long id,
    struct rpc_error *e)
{
	cJSON *j, *result = NULL;
	long long rid;
	int idnull, rc;

	memset(e, 0, sizeof(*e));
	if ((j = parse_body(buf, len, e)) == NULL)
		return NULL;
	if (!cJSON_IsObject(j)) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response is not an object");
		cJSON_Delete(j);
		return NULL;
	}
	rc = check_response(j, &rid, &idnull, &result, e);
	cJSON_Delete(j);
	if (rc == -1)
		return NULL;
	if (rc == 1) {
		/* An error about the request as a whole has a null id. */
		if (!idnull && rid != id)
			rpc_err(e, RPC_ERR_PROTOCOL, 0, "response id %lld does "
			    "not match request id %lld", rid, id);
		return NULL;
	}
	if (rid != id) {
		cJSON_Delete(result);
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response id %lld does not "
		    "match request id %lld", rid, id);
		return NULL;
	}
	return result;
}

int
rpc_parse_batch(const char *buf, size_t len, struct rpc_req *reqs, size_t n,
    struct rpc_error *e)
{
	struct rpc_error one, nullerr;
	cJSON *j, *o, *result;
	struct rpc_req *q;
	long long rid;
	size_t i, k;
	int idnull, rc;

	memset(e, 0, sizeof(*e));
	memset(&nullerr, 0, sizeof(nullerr));
	for (i = 0; i < n; i++) {
		reqs[i].result = NULL;
		memset(&reqs[i].error, 0, sizeof(reqs[i].error));
	}
	if ((j = parse_body(buf, len, e)) == NULL)
		return -1;
	if (cJSON_IsObject(j)) {
		/* A batch refused whole comes back as one error. */
		rc = check_response(j, &rid, &idnull, &result, e);
		cJSON_Delete(result);
		cJSON_Delete(j);
		if (rc != 1 || !idnull)
			rpc_err(e, RPC_ERR_PROTOCOL, 0, "batch response is "
			    "not an array");
		return -1;
	}
	if (!cJSON_IsArray(j)) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "batch response is not an "
		    "array");
		cJSON_Delete(j);
		return -1;
	}
	for (o = j->child; o != NULL; o = o->next) {
		result = NULL;
		memset(&one, 0, sizeof(one));
		if ((rc = check_response(o, &rid, &idnull, &result,
		    &one)) == -1) {
			*e = one;
			goto fail;
		}
		if (idnull) {
			if (nullerr.kind == RPC_ERR_NONE)
				nullerr = one;
			continue;
		}
		/* Ours are consecutive; look there first. */
		q = NULL;
		if (n > 0 && rid >= reqs[0].id &&
		    (k = (uint64_t)rid - (uint64_t)reqs[0].id) < n &&
		    reqs[k].id == rid)
			q = &reqs[k];
		for (i = 0; q == NULL && i < n; i++)
			if (reqs[i].id == rid)
				q = &reqs[i];
		if (q == NULL || q->result != NULL ||
		    q->error.kind != RPC_ERR_NONE) {
			cJSON_Delete(result);
			rpc_err(e, RPC_ERR_PROTOCOL, 0, "%s response id %lld",
			    q == NULL ? "unknown" : "duplicate", rid);
			goto fail;
		}
		if (rc == 1)
			q->error = one;
		else
			q->result = result;
	}
	cJSON_Delete(j);
	for (i = 0; i < n; i++)
		if (reqs[i].result == NULL &&
		    reqs[i].error.kind == RPC_ERR_NONE) {
			if (nullerr.kind != RPC_ERR_NONE)
				reqs[i].error = nullerr;
			else
				rpc_err(&reqs[i].error, RPC_ERR_PROTOCOL, 0,
				    "no response for id %lld", reqs[i].id);
		}
	return 0;
fail:
	cJSON_Delete(j);
	for (i = 0; i < n; i++) {
		cJSON_Delete(reqs[i].result);
		reqs[i].result = NULL;
		memset(&reqs[i].error, 0, sizeof(reqs[i].error));
	}
	return -1;
}

/* The body as JSON, nothing but blanks after it. */
static cJSON *
parse_body(const char *buf, size_t len, struct rpc_error *e)
{
	const char *end = NULL;
	cJSON *j;
	size_t i;

	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	if (i == len) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "empty response");
		return NULL;
	}
	if ((j = cJSON_ParseWithLengthOpts(buf, len, &end, 0)) == NULL) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response is not JSON "
		    "(at byte %zu)", end != NULL && end >= buf &&
		    end <= buf + len ? (size_t)(end - buf) : (size_t)0);
		return NULL;
	}
	for (i = end - buf; i < len; i++)
		if (!isspace((unsigned char)buf[i])) {
			rpc_err(e, RPC_ERR_PROTOCOL, 0, "trailing data after "
			    "the response (at byte %zu)", i);
			cJSON_Delete(j);
			return NULL;
		}
	return j;
}

/*
 * Check one response object.  0: *result detached from o (the caller
 * frees it); 1: a JSON-RPC error, in e; -1: malformed, in e.  *id is the
 * response's id unless *idnull.
 */
static int
check_response(cJSON *o, long long *id, int *idnull, cJSON **result,
    struct rpc_error *e)
{
	cJSON *c, *ver = NULL, *idv = NULL, *res = NULL, *err = NULL, **slot;
	cJSON *code, *msg, *data;
	char *d;
	size_t l;

	*id = 0;
	*idnull = 0;
	*result = NULL;
	if (!cJSON_IsObject(o)) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response is not an object");
		return -1;
	}
	for (c = o->child; c != NULL; c = c->next) {
		if (c->string == NULL)
			continue;
		if (strcmp(c->string, "jsonrpc") == 0)
			slot = &ver;
		else if (strcmp(c->string, "id") == 0)
			slot = &idv;
		else if (strcmp(c->string, "result") == 0)
			slot = &res;
		else if (strcmp(c->string, "error") == 0)
			slot = &err;
		else
			continue;	/* extensions are ignored */
		if (*slot != NULL) {
			rpc_err(e, RPC_ERR_PROTOCOL, 0, "duplicate \"%s\" in "
			    "response", c->string);
			return -1;
		}
		*slot = c;
	}
	if (!cJSON_IsString(ver) || strcmp(ver->valuestring, "2.0") != 0) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response \"jsonrpc\" is not "
		    "\"2.0\"");
		return -1;
	}
	if (idv == NULL) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response has no id");
		return -1;
	}
	if (cJSON_IsNull(idv))
		*idnull = 1;
	else if (json_id(idv, id) == -1) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response id is not one of "
		    "ours");
		return -1;
	}
	if ((res == NULL) == (err == NULL)) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response has %s", res ?
		    "both result and error" : "neither result nor error");
		return -1;
	}
	if (res != NULL) {
		if (*idnull) {
			rpc_err(e, RPC_ERR_PROTOCOL, 0, "response with a "
			    "result has a null id");
			return -1;
		}
		*result = cJSON_DetachItemViaPointer(o, res);
		return 0;
	}
	code = cJSON_GetObjectItemCaseSensitive(err, "code");
	msg = cJSON_GetObjectItemCaseSensitive(err, "message");
	data = cJSON_GetObjectItemCaseSensitive(err, "data");
	if (!cJSON_IsObject(err) || !cJSON_IsNumber(code) ||
	    code->valuedouble != floor(code->valuedouble) ||
	    fabs(code->valuedouble) > 2147483647.0 || !cJSON_IsString(msg)) {
		rpc_err(e, RPC_ERR_PROTOCOL, 0, "response has a malformed "
		    "error object");
		return -1;
	}
	rpc_err(e, RPC_ERR_SERVER, (long)code->valuedouble, "%s",
	    msg->valuestring[0] != '\0' ? msg->valuestring : "(no message)");
	if (data != NULL && (d = cJSON_PrintUnformatted(data)) != NULL) {
		l = strlen(e->msg);
		snprintf(e->msg + l, sizeof(e->msg) - l, " (data: %s)", d);
		free(d);
		printable(e->msg);
	}
	return 1;
}

/* Our ids are positive integers below 2^53. */
static int
json_id(const cJSON *v, long long *id)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 1 && d < 9007199254740992.0) || d != floor(d))
		return -1;
	*id = (long long)d;
	return 0;
}

/* Keep messages on one line: control characters become '?'. */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}
