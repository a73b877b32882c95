/*
 * rpcsrv: see rpcsrv.h.  One thread runs a poll(2) loop over the listening
 * socket, a stop pipe and up to MAXCONN connections; a delayed answer is a
 * deadline in that loop, so a client that gives up is noticed at once.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rpcsrv.h"

#define MAXCONN		8

struct conn {
	int	 fd;
	char	*in;
	size_t	 inlen;
	size_t	 incap;
	char	*out;		/* a pending answer */
	size_t	 outlen;
	long	 due;		/* when to send it */
	int	 close_after;
};

struct rpcsrv {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 lfd;
	int			 stop[2];
	int			 port;
	struct srv_act		*script;
	size_t			 nscript;
	struct srv_act		 dflt;
	struct conn		 conns[MAXCONN];
	struct rpcsrv_stats	 st;
};

static void	*srv_main(void *);
static void	 srv_accept(struct rpcsrv *);
static void	 srv_read(struct rpcsrv *, struct conn *);
static int	 srv_request(struct rpcsrv *, struct conn *, const char *,
		    size_t, const char *, size_t);
static char	*srv_serve(const char *, size_t, size_t *);
static cJSON	*srv_answer(const cJSON *, int *);
static void	 srv_queue(struct conn *, const char *, size_t, long, int);
static void	 srv_flush(struct conn *);
static void	 conn_close(struct conn *);
static char	*http_response(int, const char *, size_t, int, size_t *);
static const char *header(const char *, size_t, const char *, size_t *);

long
rpcsrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rpcsrv *
rpcsrv_start(const struct srv_act *script, size_t n, const struct srv_act *dflt)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct rpcsrv *s;
	int i, one = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->lfd = -1;
	s->stop[0] = s->stop[1] = -1;
	for (i = 0; i < MAXCONN; i++)
		s->conns[i].fd = -1;
	if (n > 0) {
		if ((s->script = calloc(n, sizeof(*script))) == NULL)
			goto fail;
		memcpy(s->script, script, n * sizeof(*script));
	}
	s->nscript = n;
	if (dflt != NULL)
		s->dflt = *dflt;
	else
		s->dflt.kind = SRV_SERVE;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s->lfd, 16) == -1 ||
	    getsockname(s->lfd, (struct sockaddr *)&sin, &slen) == -1 ||
	    pipe2(s->stop, O_CLOEXEC) == -1) {
		perror("rpcsrv: listen");
		goto fail;
	}
	s->port = ntohs(sin.sin_port);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, srv_main, s) != 0) {
		perror("rpcsrv: pthread_create");
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		goto fail;
	}
	return s;
fail:
	if (s->lfd != -1)
		close(s->lfd);
	if (s->stop[0] != -1) {
		close(s->stop[0]);
		close(s->stop[1]);
	}
	free(s->script);
	free(s);
	return NULL;
}

void
rpcsrv_stop(struct rpcsrv *s)
{
	int i;

	if (s == NULL)
		return;
	(void)!write(s->stop[1], "x", 1);
	pthread_join(s->thread, NULL);
	for (i = 0; i < MAXCONN; i++)
		conn_close(&s->conns[i]);
	close(s->lfd);
	close(s->stop[0]);
	close(s->stop[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->script);
	free(s);
}

int
rpcsrv_port(const struct rpcsrv *s)
{
	return s->port;
}

void
rpcsrv_stats(struct rpcsrv *s, struct rpcsrv_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
}

int
rpcsrv_wait(struct rpcsrv *s, unsigned n, long timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += timeout_ms % 1000 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (s->st.requests < n && rc == 0)
		rc = pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	rc = s->st.requests >= n ? 0 : -1;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void *
srv_main(void *arg)
{
	struct rpcsrv *s = arg;
	struct pollfd pfd[2 + MAXCONN];
	struct conn *map[2 + MAXCONN];
	long now, timeout;
	int i, n;

	for (;;) {
		pfd[0].fd = s->stop[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = s->lfd;
		pfd[1].events = POLLIN;
		n = 2;
		timeout = -1;
		now = rpcsrv_now_ms();
		for (i = 0; i < MAXCONN; i++) {
			if (s->conns[i].fd == -1)
				continue;
			pfd[n].fd = s->conns[i].fd;
			pfd[n].events = POLLIN;
			map[n++] = &s->conns[i];
			if (s->conns[i].out != NULL &&
			    (timeout == -1 || s->conns[i].due - now < timeout))
				timeout = s->conns[i].due > now ?
				    s->conns[i].due - now : 0;
		}
		if (poll(pfd, n, (int)timeout) == -1) {
			if (errno == EINTR)
				continue;
			perror("rpcsrv: poll");
			break;
		}
		if (pfd[0].revents)
			break;
		for (i = 2; i < n; i++)
			if (pfd[i].revents && map[i]->fd != -1)
				srv_read(s, map[i]);
		now = rpcsrv_now_ms();
		for (i = 0; i < MAXCONN; i++)
			if (s->conns[i].fd != -1 && s->conns[i].out != NULL &&
			    s->conns[i].due <= now)
				srv_flush(&s->conns[i]);
		if (pfd[1].revents)
			srv_accept(s);
	}
	return NULL;
}

static void
srv_accept(struct rpcsrv *s)
{
	int fd, i;

	if ((fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	for (i = 0; i < MAXCONN; i++)
		if (s->conns[i].fd == -1)
			break;
	if (i == MAXCONN) {
		close(fd);
		return;
	}
	memset(&s->conns[i], 0, sizeof(s->conns[i]));
	s->conns[i].fd = fd;
	pthread_mutex_lock(&s->mu);
	s->st.connections++;
	pthread_mutex_unlock(&s->mu);
}

/* Read what came; answer each complete request (one at a time). */
static void
srv_read(struct rpcsrv *s, struct conn *c)
{
	const char *end, *cl;
	size_t hlen, blen, vlen;
	ssize_t r;
	char *nb;

	if (c->inlen + 4096 > c->incap) {
		c->incap = c->incap ? c->incap * 2 : 65536;
		if ((nb = realloc(c->in, c->incap)) == NULL) {
			conn_close(c);
			return;
		}
		c->in = nb;
	}
	if ((r = recv(c->fd, c->in + c->inlen, c->incap - c->inlen - 1,
	    0)) <= 0) {
		conn_close(c);	/* the client left: drop any pending answer */
		return;
	}
	c->inlen += r;
	c->in[c->inlen] = '\0';
	while (c->fd != -1 && c->out == NULL &&
	    (end = strstr(c->in, "\r\n\r\n")) != NULL) {
		hlen = end + 4 - c->in;
		blen = 0;
		if ((cl = header(c->in, hlen, "Content-Length", &vlen)) != NULL)
			blen = strtoul(cl, NULL, 10);
		if (c->inlen < hlen + blen)
			return;
		if (srv_request(s, c, c->in, hlen, c->in + hlen, blen) == -1)
			return;
		memmove(c->in, c->in + hlen + blen, c->inlen - hlen - blen);
		c->inlen -= hlen + blen;
		c->in[c->inlen] = '\0';
	}
}

/* Act on one request; -1 if the connection is gone. */
static int
srv_request(struct rpcsrv *s, struct conn *c, const char *hdr, size_t hlen,
    const char *body, size_t blen)
{
	static const char mid[] = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\":";
	static const char garbage[] = "garbage, not HTTP\r\n\r\n";
	static const char badhttp[] = "HTTP/1.1 2x0 Whatever\r\n\r\n";
	struct srv_act act;
	const char *ct, *p;
	char *resp = NULL, *out, idbuf[32];
	size_t n, vlen, rlen = 0, olen;
	cJSON *req, *id;
	unsigned k;

	pthread_mutex_lock(&s->mu);
	k = s->st.requests++;
	act = k < s->nscript ? s->script[k] : s->dflt;
	if (k < RPCSRV_MAX_TIMES)
		s->st.t_ms[k] = rpcsrv_now_ms();
	if ((ct = header(hdr, hlen, "Content-Type", &vlen)) != NULL)
		snprintf(s->st.content_type, sizeof(s->st.content_type),
		    "%.*s", (int)vlen, ct);
	else
		s->st.content_type[0] = '\0';
	if (header(hdr, hlen, "Expect", &vlen) != NULL)
		s->st.expect_seen = 1;
	n = blen < sizeof(s->st.last_body) - 1 ? blen :
	    sizeof(s->st.last_body) - 1;
	memcpy(s->st.last_body, body, n);
	s->st.last_body[n] = '\0';
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);

	/* The request's id (the first one of a batch), for $ID. */
	snprintf(idbuf, sizeof(idbuf), "null");
	if ((req = cJSON_ParseWithLength(body, blen)) != NULL) {
		id = cJSON_GetObjectItem(cJSON_IsArray(req) ?
		    cJSON_GetArrayItem(req, 0) : req, "id");
		if (cJSON_IsNumber(id))
			snprintf(idbuf, sizeof(idbuf), "%.0f", id->valuedouble);
		cJSON_Delete(req);
	}

	switch (act.kind) {
	case SRV_SERVE:
	case SRV_DELAY:
		if ((resp = srv_serve(body, blen, &rlen)) == NULL)
			break;
		out = http_response(200, resp, rlen, 1, &olen);
		srv_queue(c, out, olen, act.kind == SRV_DELAY ?
		    rpcsrv_now_ms() + act.delay_ms : 0, 0);
		free(out);
		break;
	case SRV_STATUS:
		out = http_response(act.status, "oops\n", 5, 1, &olen);
		srv_queue(c, out, olen, 0, 0);
		free(out);
		break;
	case SRV_CLOSE:
		conn_close(c);
		return -1;
	case SRV_CLOSE_MID:
		srv_queue(c, mid, sizeof(mid) - 1, 0, 1);
		break;
	case SRV_GARBAGE:
		srv_queue(c, garbage, sizeof(garbage) - 1, 0, 1);
		break;
	case SRV_BADHTTP:
		srv_queue(c, badhttp, sizeof(badhttp) - 1, 0, 1);
		break;
	case SRV_RAW:
		p = act.body != NULL ? act.body : "";
		if ((resp = malloc(strlen(p) * 8 + 64)) == NULL)
			break;
		for (rlen = 0; *p != '\0'; p++) {
			if (strncmp(p, "$ID", 3) == 0) {
				rlen += sprintf(resp + rlen, "%s", idbuf);
				p += 2;
			} else
				resp[rlen++] = *p;
		}
		out = http_response(200, resp, rlen, 1, &olen);
		srv_queue(c, out, olen, 0, 0);
		free(out);
		break;
	case SRV_BIG:
	case SRV_BIG_NOLEN:
		if ((resp = malloc(act.size + 128)) == NULL)
			break;
		rlen = sprintf(resp, "{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"result\":\"", idbuf);
		memset(resp + rlen, 'x', act.size);
		rlen += act.size;
		rlen += sprintf(resp + rlen, "\"}");
		out = http_response(200, resp, rlen, act.kind == SRV_BIG,
		    &olen);
		srv_queue(c, out, olen, 0, act.kind == SRV_BIG_NOLEN);
		free(out);
		break;
	}
	free(resp);
	if (c->fd != -1 && c->out != NULL && c->due <= rpcsrv_now_ms())
		srv_flush(c);
	return c->fd == -1 ? -1 : 0;
}

/* The JSON-RPC answer to a request body (NULL: nothing to say). */
static char *
srv_serve(const char *body, size_t blen, size_t *len)
{
	cJSON *req, *out, *a, *e;
	char *s;
	int twice;

	if ((req = cJSON_ParseWithLength(body, blen)) == NULL) {
		s = strdup("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
		    "{\"code\":-32700,\"message\":\"Parse error\"}}");
		*len = s ? strlen(s) : 0;
		return s;
	}
	if (cJSON_IsArray(req)) {
		out = cJSON_CreateArray();
		/* Reverse order: clients must match by id. */
		for (e = req->child; e != NULL && e->next != NULL; e = e->next)
			;
		for (; e != NULL; e = e == req->child ? NULL : e->prev) {
			if ((a = srv_answer(e, &twice)) == NULL)
				continue;
			if (twice)
				cJSON_AddItemToArray(out,
				    cJSON_Duplicate(a, 1));
			cJSON_AddItemToArray(out, a);
		}
	} else
		out = srv_answer(req, &twice);
	cJSON_Delete(req);
	s = out != NULL ? cJSON_PrintUnformatted(out) : strdup("");
	cJSON_Delete(out);
	*len = s ? strlen(s) : 0;
	return s;
}

static cJSON *
srv_answer(const cJSON *req, int *twice)
{
	const cJSON *m, *params;
	cJSON *o, *err;

	*twice = 0;
	m = cJSON_GetObjectItem(req, "method");
	params = cJSON_GetObjectItem(req, "params");
	if (cJSON_IsString(m) && strcmp(m->valuestring, "missing") == 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "jsonrpc", "2.0");
	cJSON_AddItemToObject(o, "id",
	    cJSON_Duplicate(cJSON_GetObjectItem(req, "id"), 1));
	if (!cJSON_IsString(m)) {
		err = cJSON_AddObjectToObject(o, "error");
		cJSON_AddNumberToObject(err, "code", -32600);
		cJSON_AddStringToObject(err, "message", "Invalid request");
	} else if (strcmp(m->valuestring, "echo") == 0 ||
	    strcmp(m->valuestring, "dup") == 0) {
		cJSON_AddItemToObject(o, "result", params != NULL ?
		    cJSON_Duplicate(params, 1) : cJSON_CreateNull());
		*twice = strcmp(m->valuestring, "dup") == 0;
	} else if (strcmp(m->valuestring, "null") == 0) {
		cJSON_AddNullToObject(o, "result");
	} else if (strcmp(m->valuestring, "fail") == 0) {
		err = cJSON_AddObjectToObject(o, "error");
		cJSON_AddNumberToObject(err, "code", -32000);
		cJSON_AddStringToObject(err, "message", "failed");
		if (params != NULL)
			cJSON_AddItemToObject(err, "data",
			    cJSON_Duplicate(params, 1));
	} else {
		err = cJSON_AddObjectToObject(o, "error");
		cJSON_AddNumberToObject(err, "code", -32601);
		cJSON_AddStringToObject(err, "message", "Method not found");
	}
	return o;
}

static void
srv_queue(struct conn *c, const char *p, size_t len, long due, int close_after)
{
	if (p == NULL || (c->out = malloc(len)) == NULL) {
		conn_close(c);
		return;
	}
	memcpy(c->out, p, len);
	c->outlen = len;
	c->due = due;
	c->close_after = close_after;
}

/* Send the pending answer (blocking: the client reads or leaves). */
static void
srv_flush(struct conn *c)
{
	size_t off = 0;
	ssize_t w;

	while (off < c->outlen) {
		if ((w = send(c->fd, c->out + off, c->outlen - off,
		    MSG_NOSIGNAL)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			conn_close(c);
			return;
		}
		off += w;
	}
	free(c->out);
	c->out = NULL;
	if (c->close_after)
		conn_close(c);
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static char *
http_response(int status, const char *body, size_t len, int withlen,
    size_t *olen)
{
	char *out;
	int n;

	if ((out = malloc(len + 256)) == NULL)
		return NULL;
	if (withlen)
		n = snprintf(out, 256, "HTTP/1.1 %d %s\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\n\r\n", status,
		    status == 200 ? "OK" : "Trouble", len);
	else
		n = snprintf(out, 256, "HTTP/1.1 %d %s\r\nContent-Type: "
		    "application/json\r\nConnection: close\r\n\r\n", status,
		    status == 200 ? "OK" : "Trouble");
	memcpy(out + n, body, len);
	*olen = n + len;
	return out;
}

/* The value of header name in the head (hlen bytes), or NULL. */
static const char *
header(const char *head, size_t hlen, const char *name, size_t *vlen)
{
	const char *p = head, *end = head + hlen, *eol, *v;
	size_t nlen = strlen(name);

	while (p < end && (eol = memchr(p, '\n', end - p)) != NULL) {
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			for (v = p + nlen + 1; v < eol && *v == ' '; v++)
				;
			*vlen = eol - v;
			if (*vlen > 0 && v[*vlen - 1] == '\r')
				(*vlen)--;
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}
