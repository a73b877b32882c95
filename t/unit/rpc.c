/*
 * rpc: the JSON-RPC client against a scriptable loopback server
 * (t/rpcsrv), which counts requests and connections and notes when each
 * request arrived; and the response parsers alone.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "observer/rpc.h"
#include "t/rpcsrv/rpcsrv.h"
#include "t/tap.h"

#define BIG	(1100 * 1024)

static char url[64];

static struct rpcsrv *serve(const struct srv_act *, size_t,
		    const struct srv_act *);
static struct rpc *client(long, int);
static char	*print(const cJSON *);
static const char *oneline(const char *);
static void	 test_basic(void);
static void	 test_keepalive(void);
static void	 test_server_error(void);
static void	 test_retry_status(void);
static void	 test_retry_transport(void);
static void	 test_protocol(void);
static void	 test_parse(void);
static void	 test_parse_batch(void);
static void	 test_timeout(void);
static void	 test_refused(void);
static void	 test_backoff(void);
static void	 test_size_limit(void);
static void	 test_batch(void);
static void	 test_cancel(void);
static void	 test_new(void);

static struct rpcsrv *
serve(const struct srv_act *script, size_t n, const struct srv_act *dflt)
{
	struct rpcsrv *s;

	if ((s = rpcsrv_start(script, n, dflt)) == NULL) {
		fprintf(stderr, "cannot start the loopback server\n");
		exit(1);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rpcsrv_port(s));
	return s;
}

/* A client of the current server, with quick backoffs. */
static struct rpc *
client(long timeout_ms, int retries)
{
	struct rpc *r;
	char err[256];

	if ((r = rpc_new(url, timeout_ms, retries, err, sizeof(err))) == NULL) {
		fprintf(stderr, "rpc_new: %s\n", err);
		exit(1);
	}
	rpc_set_backoff(r, 2, 20);
	return r;
}

static char *
print(const cJSON *j)
{
	static char buf[4096];
	char *s;

	if (j == NULL)
		return "(null)";
	if ((s = cJSON_PrintUnformatted(j)) == NULL)
		return "(oom)";
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

/* s fit for a TAP test name: no line breaks. */
static const char *
oneline(const char *s)
{
	static char buf[512];
	size_t n = 0;

	for (; *s != '\0' && n + 3 < sizeof(buf); s++) {
		if (*s == '\n' || *s == '\r') {
			buf[n++] = '\\';
			buf[n++] = *s == '\n' ? 'n' : 'r';
		} else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

static void
test_basic(void)
{
	struct rpcsrv *s = serve(NULL, 0, NULL);
	struct rpc *r = client(5000, 0);
	struct rpcsrv_stats ss;
	struct rpc_stats cs;
	struct rpc_error e;
	cJSON *res, *req, *params;
	char *big;
	long t0;

	res = rpc_call(r, "echo", cJSON_Parse("[1,\"two\",{\"three\":3}]"),
	    &e);
	is_str(print(res), "[1,\"two\",{\"three\":3}]", "echo: result");
	is_int(e.kind, RPC_ERR_NONE, "echo: no error");
	cJSON_Delete(res);
	rpcsrv_stats(s, &ss);
	is_str(ss.content_type, "application/json",
	    "request Content-Type is application/json");
	req = cJSON_Parse(ss.last_body);
	is_str(print(req), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
	    "\"params\":[1,\"two\",{\"three\":3}]}", "request body");
	cJSON_Delete(req);

	res = rpc_call(r, "null", NULL, &e);
	ok(res != NULL && cJSON_IsNull(res) && e.kind == RPC_ERR_NONE,
	    "a null result is a cJSON null, not a failure");
	cJSON_Delete(res);
	rpcsrv_stats(s, &ss);
	req = cJSON_Parse(ss.last_body);
	is_str(print(cJSON_GetObjectItem(req, "params")), "[]",
	    "NULL params are sent as []");
	is_str(print(cJSON_GetObjectItem(req, "id")), "2",
	    "ids count up");
	cJSON_Delete(req);

	/* curl 7.88 asks "Expect: 100-continue" above 1 MiB. */
	if ((big = malloc(BIG + 1)) == NULL)
		abort();
	memset(big, 'x', BIG);
	big[BIG] = '\0';
	params = cJSON_CreateArray();
	cJSON_AddItemToArray(params, cJSON_CreateString(big));
	free(big);
	t0 = rpcsrv_now_ms();
	res = rpc_call(r, "echo", params, &e);
	t0 = rpcsrv_now_ms() - t0;
	ok(res != NULL && cJSON_GetArraySize(res) == 1 &&
	    strlen(cJSON_GetArrayItem(res, 0)->valuestring) == BIG,
	    "a %d byte request and answer (%ld ms)", BIG, t0);
	cJSON_Delete(res);
	rpcsrv_stats(s, &ss);
	ok(!ss.expect_seen, "no \"Expect: 100-continue\" for a large body");

	res = rpc_call(r, "echo", cJSON_CreateString("x"), &e);
	ok(res == NULL && e.kind == RPC_ERR_PROTOCOL &&
	    strcmp(e.msg, "params must be an array or an object") == 0,
	    "params that are neither array nor object refused: %s", e.msg);
	rpc_stats(r, &cs);
	is_int(cs.requests, 3, "client counted 3 HTTP requests");
	rpcsrv_stats(s, &ss);
	is_int(ss.requests, 3, "server saw 3 requests");
	rpc_free(r);
	rpcsrv_stop(s);
}

static void
test_keepalive(void)
{
	struct rpcsrv *s = serve(NULL, 0, NULL);
	struct rpc *r = client(5000, 0);
	struct rpcsrv_stats ss;
	struct rpc_stats cs;
	struct rpc_error e;
	cJSON *res;
	int i, good = 0;

	for (i = 0; i < 20; i++) {
		res = rpc_call(r, "echo", cJSON_CreateIntArray(&i, 1), &e);
		if (res != NULL && cJSON_GetArrayItem(res, 0) != NULL &&
		    cJSON_GetArrayItem(res, 0)->valueint == i)
			good++;
		cJSON_Delete(res);
	}
	is_int(good, 20, "20 calls answered");
	rpcsrv_stats(s, &ss);
	is_int(ss.requests, 20, "server saw 20 requests");
	is_int(ss.connections, 1, "keep-alive: on one connection");
	rpc_stats(r, &cs);
	is_int(cs.connects, 1, "client opened one connection");
	rpc_free(r);
	rpcsrv_stop(s);
}

static void
test_server_error(void)
{
	struct rpcsrv *s = serve(NULL, 0, NULL);
	struct rpc *r = client(5000, 3);
	struct rpcsrv_stats ss;
	struct rpc_error e;
	cJSON *res;

	res = rpc_call(r, "fail", cJSON_Parse("[\"x\",\n1]"), &e);
	ok(res == NULL, "JSON-RPC error: no result");
	is_int(e.kind, RPC_ERR_SERVER, "JSON-RPC error: kind SERVER");
	is_int(e.code, -32000, "JSON-RPC error: code");
	is_str(e.msg, "failed (data: [\"x\",1])", "JSON-RPC error: message "
	    "and data");
	res = rpc_call(r, "nosuch", NULL, &e);
	ok(res == NULL && e.kind == RPC_ERR_SERVER && e.code == -32601 &&
	    strcmp(e.msg, "Method not found") == 0, "unknown method: %ld %s",
	    e.code, e.msg);
	rpcsrv_stats(s, &ss);
	is_int(ss.requests, 2, "JSON-RPC errors are not retried");
	rpc_free(r);
	rpcsrv_stop(s);
}

static void
test_retry_status(void)
{
	static const struct {
		const char *name;
		int status[5];
		int n;
		int retries;
		int kind;
		long code;
		unsigned requests;
		const char *msg;
	} c[] = {
	{ "500 then 200", { 500 }, 1, 3, RPC_ERR_NONE, 0, 2, "" },
	{ "429, 503, 502 then 200", { 429, 503, 502 }, 3, 3, RPC_ERR_NONE,
	    0, 4, "" },
	{ "408 then 200", { 408 }, 1, 1, RPC_ERR_NONE, 0, 2, "" },
	{ "500 until retries run out", { 500, 500, 500, 500, 500 }, 5, 2,
	    RPC_ERR_TRANSPORT, 500, 3, "HTTP status 500 (3 attempts)" },
	{ "404 is not retried", { 404 }, 1, 3, RPC_ERR_TRANSPORT, 404, 1,
	    "HTTP status 404" },
	{ "400 is not retried", { 400 }, 1, 3, RPC_ERR_TRANSPORT, 400, 1,
	    "HTTP status 400" },
	{ "301 is not followed", { 301 }, 1, 3, RPC_ERR_TRANSPORT, 301, 1,
	    "HTTP status 301" },
	};
	struct srv_act script[5];
	struct rpcsrv_stats ss;
	struct rpc_stats cs;
	struct rpc_error e;
	struct rpcsrv *s;
	struct rpc *r;
	cJSON *res;
	size_t i;
	int k;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(script, 0, sizeof(script));
		for (k = 0; k < c[i].n; k++) {
			script[k].kind = SRV_STATUS;
			script[k].status = c[i].status[k];
		}
		s = serve(script, c[i].n, NULL);
		r = client(5000, c[i].retries);
		res = rpc_call(r, "echo", cJSON_Parse("[7]"), &e);
		rpcsrv_stats(s, &ss);
		rpc_stats(r, &cs);
		if (c[i].kind == RPC_ERR_NONE)
			is_str(print(res), "[7]", "%s: answered", c[i].name);
		else
			ok(res == NULL && e.kind == c[i].kind &&
			    e.code == c[i].code && strcmp(e.msg, c[i].msg) == 0,
			    "%s: kind %d code %ld \"%s\"", c[i].name, e.kind,
			    e.code, e.msg);
		is_int(ss.requests, c[i].requests, "%s: server saw %u "
		    "requests", c[i].name, c[i].requests);
		is_int(cs.retries, c[i].requests - 1, "%s: client retried "
		    "%u times", c[i].name, c[i].requests - 1);
		cJSON_Delete(res);
		rpc_free(r);
		rpcsrv_stop(s);
	}
}

static void
test_retry_transport(void)
{
	static const struct {
		const char *name;
		enum srv_kind kind;
	} c[] = {
		{ "connection closed without an answer", SRV_CLOSE },
		{ "connection closed mid-response", SRV_CLOSE_MID },
		{ "garbage instead of HTTP", SRV_GARBAGE },
		{ "malformed HTTP status line", SRV_BADHTTP },
	};
	struct srv_act act;
	struct rpcsrv_stats ss;
	struct rpc_error e;
	struct rpcsrv *s;
	struct rpc *r;
	cJSON *res;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&act, 0, sizeof(act));
		act.kind = c[i].kind;
		s = serve(&act, 1, NULL);
		r = client(5000, 2);
		res = rpc_call(r, "echo", cJSON_Parse("[1]"), &e);
		rpcsrv_stats(s, &ss);
		ok(res != NULL && ss.requests == 2,
		    "%s, then an answer: retried (%u requests; %s)",
		    c[i].name, ss.requests, res ? "ok" : e.msg);
		cJSON_Delete(res);
		rpc_free(r);
		rpcsrv_stop(s);

		/* Always that: a transport error after the retries. */
		s = serve(NULL, 0, &act);
		r = client(5000, 2);
		res = rpc_call(r, "echo", cJSON_Parse("[1]"), &e);
		rpcsrv_stats(s, &ss);
		ok(res == NULL && e.kind == RPC_ERR_TRANSPORT &&
		    ss.requests == 3 && strstr(e.msg, "(3 attempts)") != NULL,
		    "%s, always: transport error after 3 requests (%u: %s)",
		    c[i].name, ss.requests, e.msg);
		cJSON_Delete(res);
		rpc_free(r);
		rpcsrv_stop(s);
	}
}

/* Malformed answers over the wire: protocol errors, not retried. */
static void
test_protocol(void)
{
	static const struct {
		const char *body;
		int kind;
		const char *msg;
	} c[] = {
	{ "not json", RPC_ERR_PROTOCOL, "response is not JSON (at byte 0)" },
	{ "", RPC_ERR_PROTOCOL, "empty response" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":$ID}", RPC_ERR_PROTOCOL,
	    "response has neither result nor error" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":1}", RPC_ERR_PROTOCOL,
	    "response id 999 does not match request id 1" },
	{ "[{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":1}]", RPC_ERR_PROTOCOL,
	    "response is not an object" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
	    "\"message\":\"Parse error\"}}", RPC_ERR_SERVER, "Parse error" },
	};
	struct srv_act act;
	struct rpcsrv_stats ss;
	struct rpc_error e;
	struct rpcsrv *s;
	struct rpc *r;
	cJSON *res;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&act, 0, sizeof(act));
		act.kind = SRV_RAW;
		act.body = c[i].body;
		s = serve(&act, 1, NULL);
		r = client(5000, 3);
		res = rpc_call(r, "echo", cJSON_Parse("[1]"), &e);
		rpcsrv_stats(s, &ss);
		ok(res == NULL && e.kind == c[i].kind &&
		    strcmp(e.msg, c[i].msg) == 0 && ss.requests == 1,
		    "answer '%s': kind %d \"%s\", %u request(s)", c[i].body,
		    e.kind, e.msg, ss.requests);
		cJSON_Delete(res);
		rpc_free(r);
		rpcsrv_stop(s);
	}
}

/* rpc_parse_response alone (request id 7). */
static void
test_parse(void)
{
	static const struct {
		const char *body;
		int kind;
		long code;
		const char *out;	/* result, or the error message */
	} c[] = {
#define P RPC_ERR_PROTOCOL
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"a\":[1]}}", 0, 0,
	    "{\"a\":[1]}" },
	{ " \n{\"id\":7,\"result\":null,\"jsonrpc\":\"2.0\",\"x\":1}\r\n", 0,
	    0, "null" },
	{ "{\"jsonrpc\":\"1.0\",\"id\":7,\"result\":1}", P, 0,
	    "response \"jsonrpc\" is not \"2.0\"" },
	{ "{\"jsonrpc\":2.0,\"id\":7,\"result\":1}", P, 0,
	    "response \"jsonrpc\" is not \"2.0\"" },
	{ "{\"id\":7,\"result\":1}", P, 0,
	    "response \"jsonrpc\" is not \"2.0\"" },
	{ "{\"jsonrpc\":\"2.0\",\"result\":1}", P, 0, "response has no id" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"result\":1}", P, 0,
	    "response id is not one of ours" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7.5,\"result\":1}", P, 0,
	    "response id is not one of ours" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":1}", P, 0,
	    "response id 8 does not match request id 7" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7}", P, 0,
	    "response has neither result nor error" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1,\"error\":{\"code\":1,"
	    "\"message\":\"m\"}}", P, 0, "response has both result and error" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1,\"result\":2}", P, 0,
	    "duplicate \"result\" in response" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}", P, 0,
	    "response with a result has a null id" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"message\":\"m\"}}", P, 0,
	    "response has a malformed error object" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1.5,"
	    "\"message\":\"m\"}}", P, 0,
	    "response has a malformed error object" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1}}", P, 0,
	    "response has a malformed error object" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":\"bad\"}", P, 0,
	    "response has a malformed error object" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32602,"
	    "\"message\":\"Invalid\\nparams\",\"data\":{\"why\":\"x\"}}}",
	    RPC_ERR_SERVER, -32602, "Invalid?params (data: {\"why\":\"x\"})" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
	    "\"message\":\"Parse error\"}}", RPC_ERR_SERVER, -32700,
	    "Parse error" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":5,"
	    "\"message\":\"\"}}", RPC_ERR_SERVER, 5, "(no message)" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-1,"
	    "\"message\":\"m\"}}", P, 0,
	    "response id 6 does not match request id 7" },
	{ "[]", P, 0, "response is not an object" },
	{ "\"x\"", P, 0, "response is not an object" },
	{ "", P, 0, "empty response" },
	{ "  \n ", P, 0, "empty response" },
	{ "{\"jsonrpc\":\"2.0\",", P, 0, "response is not JSON (at byte 16)" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1} {}", P, 0,
	    "trailing data after the response (at byte 36)" },
#undef P
	};
	struct rpc_error e;
	cJSON *res;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		res = rpc_parse_response(c[i].body, strlen(c[i].body), 7, &e);
		if (c[i].kind == RPC_ERR_NONE)
			ok(res != NULL && e.kind == 0 &&
			    strcmp(print(res), c[i].out) == 0,
			    "parse %s: %s", oneline(c[i].body), print(res));
		else
			ok(res == NULL && e.kind == c[i].kind &&
			    e.code == c[i].code &&
			    strcmp(e.msg, c[i].out) == 0,
			    "parse %s: kind %d code %ld \"%s\"", oneline(c[i].body),
			    e.kind, e.code, e.msg);
		cJSON_Delete(res);
	}
	/* Not NUL-terminated: only len bytes are read. */
	res = rpc_parse_response("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1}"
	    "garbage", 35, 7, &e);
	ok(res != NULL && cJSON_IsNumber(res), "only len bytes are parsed");
	cJSON_Delete(res);
}

static void
test_parse_batch(void)
{
	static const char *ok3 =
	    "[{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"seven\"},"
	    "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-5,"
	    "\"message\":\"five\"}},"
	    "{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":[6]}]";
	static const struct {
		const char *body;
		int rc;
		const char *msg;
	} bad[] = {
	{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
	    "\"message\":\"Invalid request\"}}", -1, "Invalid request" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":1}", -1,
	    "batch response is not an array" },
	{ "\"x\"", -1, "batch response is not an array" },
	{ "[{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":1}]", -1,
	    "unknown response id 9" },
	{ "[{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":1},"
	    "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":1}]", -1,
	    "duplicate response id 5" },
	{ "[{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":1},"
	    "{\"jsonrpc\":\"2.0\",\"id\":6}]", -1,
	    "response has neither result nor error" },
	{ "[{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":1}, 3]", -1,
	    "response is not an object" },
	{ "[", -1, "response is not JSON (at byte 0)" },
	};
	static const char *nullid =
	    "[{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":1},"
	    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
	    "\"message\":\"bad\"}}]";
	struct rpc_req q[3];
	struct rpc_error e;
	size_t i, k;
	int rc;

	memset(q, 0, sizeof(q));
	for (k = 0; k < 3; k++)
		q[k].id = 5 + k;
	rc = rpc_parse_batch(ok3, strlen(ok3), q, 3, &e);
	ok(rc == 0 && q[0].result == NULL && q[0].error.kind ==
	    RPC_ERR_SERVER && q[0].error.code == -5 &&
	    strcmp(q[0].error.msg, "five") == 0 &&
	    strcmp(print(q[1].result), "[6]") == 0 &&
	    strcmp(print(q[2].result), "\"seven\"") == 0,
	    "batch answered out of order: matched by id");
	for (k = 0; k < 3; k++)
		cJSON_Delete(q[k].result);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = rpc_parse_batch(bad[i].body, strlen(bad[i].body), q, 3,
		    &e);
		ok(rc == bad[i].rc && strcmp(e.msg, bad[i].msg) == 0 &&
		    q[0].result == NULL && q[1].result == NULL &&
		    q[2].result == NULL,
		    "batch %s: %d \"%s\"", bad[i].body, rc, e.msg);
	}

	/* A null-id error stands for the requests left unanswered. */
	rc = rpc_parse_batch(nullid, strlen(nullid), q, 3, &e);
	ok(rc == 0 && q[1].result != NULL && q[0].error.kind ==
	    RPC_ERR_SERVER && q[0].error.code == -32600 &&
	    q[2].error.kind == RPC_ERR_SERVER,
	    "null-id error given to the unanswered requests");
	cJSON_Delete(q[1].result);
	rc = rpc_parse_batch("[]", 2, q, 3, &e);
	ok(rc == 0 && q[0].error.kind == RPC_ERR_PROTOCOL &&
	    strcmp(q[0].error.msg, "no response for id 5") == 0,
	    "empty batch answer: each request has an error");
}

static void
test_timeout(void)
{
	struct srv_act act[2];
	struct rpcsrv_stats ss;
	struct rpc_error e;
	struct rpcsrv *s;
	struct rpc *r;
	cJSON *res;
	long t0, dt;

	memset(act, 0, sizeof(act));
	act[0].kind = SRV_DELAY;
	act[0].delay_ms = 20000;
	act[1].kind = SRV_SERVE;
	s = serve(act, 1, NULL);
	r = client(300, 0);
	t0 = rpcsrv_now_ms();
	res = rpc_call(r, "echo", NULL, &e);
	dt = rpcsrv_now_ms() - t0;
	ok(res == NULL && e.kind == RPC_ERR_TRANSPORT &&
	    strstr(e.msg, "imed out") != NULL,
	    "slow server: transport error \"%s\"", e.msg);
	ok(dt >= 290 && dt < 5000, "after the 300 ms timeout (%ld ms)", dt);
	rpc_free(r);
	rpcsrv_stop(s);

	s = serve(act, 2, NULL);
	r = client(300, 1);
	res = rpc_call(r, "echo", cJSON_Parse("[2]"), &e);
	rpcsrv_stats(s, &ss);
	ok(res != NULL && ss.requests == 2 && ss.connections == 2,
	    "a timeout is retried, on a new connection (%u requests, %u "
	    "connections)", ss.requests, ss.connections);
	cJSON_Delete(res);
	rpc_free(r);
	rpcsrv_stop(s);
}

static void
test_refused(void)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct rpc_stats cs;
	struct rpc_error e;
	struct rpc *r;
	cJSON *res;
	int fd;

	/* A port nobody listens on: bind one, then let it go. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1) {
		ok(0, "a free port");
		return;
	}
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/",
	    ntohs(sin.sin_port));
	r = client(2000, 2);
	res = rpc_call(r, "echo", NULL, &e);
	rpc_stats(r, &cs);
	ok(res == NULL && e.kind == RPC_ERR_TRANSPORT &&
	    strstr(e.msg, "(3 attempts)") != NULL,
	    "connection refused: transport error \"%s\"", e.msg);
	ok(cs.requests == 3 && cs.retries == 2 && cs.nbackoff == 2,
	    "connection refused is retried (%lu requests, %lu retries)",
	    cs.requests, cs.retries);
	rpc_free(r);
}

/*
 * Full jitter: the k-th backoff is uniform in [0, base * 2^k] (capped),
 * and the server sees the requests at least that far apart.
 */
static void
test_backoff(void)
{
	struct srv_act fail;
	struct rpcsrv_stats ss;
	struct rpc_stats cs;
	struct rpc_error e;
	struct rpcsrv *s;
	struct rpc *r;
	long sum[4] = { 0 }, max[4] = { 0 }, gap;
	int call, k, inrange = 1, slept = 1;
	unsigned t;

	memset(&fail, 0, sizeof(fail));
	fail.kind = SRV_STATUS;
	fail.status = 503;
	s = serve(NULL, 0, &fail);
	r = client(5000, 4);
	rpc_set_backoff(r, 4, 1000);
	for (call = 0; call < 15; call++) {
		cJSON_Delete(rpc_call(r, "echo", NULL, &e));
		rpc_stats(r, &cs);
		rpcsrv_stats(s, &ss);
		if (cs.nbackoff != 4 || ss.requests != (unsigned)(call + 1) * 5) {
			ok(0, "call %d: %d backoffs, %u requests", call,
			    cs.nbackoff, ss.requests);
			break;
		}
		for (k = 0; k < 4; k++) {
			if (cs.backoff_ms[k] < 0 ||
			    cs.backoff_ms[k] > 4L << k)
				inrange = 0;
			sum[k] += cs.backoff_ms[k];
			if (cs.backoff_ms[k] > max[k])
				max[k] = cs.backoff_ms[k];
			t = call * 5 + k;
			gap = ss.t_ms[t + 1] - ss.t_ms[t];
			if (gap + 2 < cs.backoff_ms[k]) {
				slept = 0;
				diag("call %d backoff %d: %ld ms, gap %ld ms",
				    call, k, cs.backoff_ms[k], gap);
			}
		}
	}
	ok(inrange, "each backoff within [0, 4 ms * 2^attempt]");
	ok(slept, "requests at least the backoff apart");
	ok(sum[3] > sum[2] && sum[2] > sum[0] && max[3] > 4,
	    "backoff grows: sums %ld %ld %ld %ld, max %ld %ld %ld %ld",
	    sum[0], sum[1], sum[2], sum[3], max[0], max[1], max[2], max[3]);
	rpc_free(r);

	r = client(5000, 5);
	rpc_set_backoff(r, 20, 30);
	cJSON_Delete(rpc_call(r, "echo", NULL, &e));
	rpc_stats(r, &cs);
	for (k = 0, inrange = cs.nbackoff == 5; k < cs.nbackoff; k++)
		if (cs.backoff_ms[k] > 30)
			inrange = 0;
	ok(inrange, "backoff capped at 30 ms (5 backoffs)");
	rpc_free(r);
	rpcsrv_stop(s);
}

static void
test_size_limit(void)
{
	struct srv_act act;
	struct rpcsrv_stats ss;
	struct rpc_error e;
	struct rpcsrv *s;
	struct rpc *r;
	cJSON *res;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&act, 0, sizeof(act));
		act.kind = i == 0 ? SRV_BIG : SRV_BIG_NOLEN;
		act.size = 100000;
		s = serve(&act, 1, NULL);
		r = client(5000, 3);
		rpc_set_max_response(r, 1024);
		res = rpc_call(r, "echo", NULL, &e);
		rpcsrv_stats(s, &ss);
		ok(res == NULL && e.kind == RPC_ERR_PROTOCOL &&
		    strcmp(e.msg, "response larger than 1024 bytes") == 0 &&
		    ss.requests == 1, "%s: 100 kB answer over a 1 KiB limit "
		    "refused, not retried: \"%s\"", i == 0 ?
		    "with Content-Length" : "without Content-Length", e.msg);
		rpc_free(r);
		rpcsrv_stop(s);
	}

	memset(&act, 0, sizeof(act));
	act.kind = SRV_BIG_NOLEN;
	act.size = 4 * 1024 * 1024;
	s = serve(&act, 1, NULL);
	r = client(10000, 0);
	res = rpc_call(r, "echo", NULL, &e);
	ok(res != NULL && cJSON_IsString(res) &&
	    strlen(res->valuestring) == 4 * 1024 * 1024,
	    "a 4 MiB answer under the default limit: %s", res ? "ok" : e.msg);
	cJSON_Delete(res);
	rpc_free(r);
	rpcsrv_stop(s);
}

static void
test_batch(void)
{
	struct srv_act fail;
	struct rpcsrv_stats ss;
	struct rpc_req q[4];
	struct rpc_error e;
	struct rpcsrv *s;
	struct rpc *r;
	cJSON *req;
	int rc, k, ids;

	s = serve(NULL, 0, NULL);
	r = client(5000, 0);
	memset(q, 0, sizeof(q));
	q[0].method = "echo";
	q[0].params = cJSON_Parse("[1]");
	q[1].method = "fail";
	q[2].method = "null";
	q[3].method = "echo";
	q[3].params = cJSON_Parse("{\"k\":\"v\"}");
	rc = rpc_batch(r, q, 4, &e);
	is_int(rc, 0, "batch: sent and answered");
	ok(q[0].params == NULL && q[3].params == NULL, "batch: params "
	    "consumed");
	is_str(print(q[0].result), "[1]", "batch: first result");
	ok(q[1].result == NULL && q[1].error.kind == RPC_ERR_SERVER &&
	    q[1].error.code == -32000, "batch: an error for the second");
	ok(cJSON_IsNull(q[2].result), "batch: null result for the third");
	is_str(print(q[3].result), "{\"k\":\"v\"}", "batch: fourth result");
	for (k = 0; k < 4; k++)
		cJSON_Delete(q[k].result);
	rpcsrv_stats(s, &ss);
	req = cJSON_Parse(ss.last_body);
	ids = cJSON_GetArraySize(req) == 4;
	for (k = 0; k < 4 && ids; k++)
		ids = cJSON_GetObjectItem(cJSON_GetArrayItem(req, k),
		    "id")->valuedouble == (double)q[k].id;
	ok(ss.requests == 1 && ids, "batch: one HTTP request, a JSON array "
	    "with our ids");
	cJSON_Delete(req);

	memset(q, 0, sizeof(q));
	q[0].method = "echo";
	q[1].method = "missing";
	q[2].method = "echo";
	rc = rpc_batch(r, q, 3, &e);
	ok(rc == 0 && q[0].result != NULL && q[2].result != NULL &&
	    q[1].result == NULL && q[1].error.kind == RPC_ERR_PROTOCOL &&
	    strstr(q[1].error.msg, "no response for id") != NULL,
	    "batch: a missing answer is that request's error (%s)",
	    q[1].error.msg);
	for (k = 0; k < 3; k++)
		cJSON_Delete(q[k].result);

	memset(q, 0, sizeof(q));
	q[0].method = "echo";
	q[1].method = "dup";
	rc = rpc_batch(r, q, 2, &e);
	ok(rc == -1 && e.kind == RPC_ERR_PROTOCOL &&
	    strstr(e.msg, "duplicate response id") != NULL &&
	    q[0].result == NULL && q[1].result == NULL,
	    "batch: a duplicated answer fails the batch (%s)", e.msg);

	memset(q, 0, sizeof(q));
	q[0].method = "echo";
	q[0].params = cJSON_Parse("[1]");
	q[1].method = "echo";
	q[1].params = cJSON_CreateNumber(1);
	rpcsrv_stats(s, &ss);
	k = ss.requests;
	rc = rpc_batch(r, q, 2, &e);
	rpcsrv_stats(s, &ss);
	ok(rc == -1 && e.kind == RPC_ERR_PROTOCOL && ss.requests ==
	    (unsigned)k && q[0].params == NULL && q[1].params == NULL,
	    "batch: bad params fail it before sending (%s)", e.msg);
	is_int(rpc_batch(r, q, 0, &e), 0, "an empty batch is nothing to do");
	rpc_free(r);
	rpcsrv_stop(s);

	memset(&fail, 0, sizeof(fail));
	fail.kind = SRV_STATUS;
	fail.status = 502;
	s = serve(&fail, 1, NULL);
	r = client(5000, 1);
	memset(q, 0, sizeof(q));
	q[0].method = "echo";
	q[0].params = cJSON_Parse("[3]");
	rc = rpc_batch(r, q, 1, &e);
	rpcsrv_stats(s, &ss);
	ok(rc == 0 && strcmp(print(q[0].result), "[3]") == 0 &&
	    ss.requests == 2, "batch: 502 retried, then answered");
	cJSON_Delete(q[0].result);
	rpc_free(r);
	rpcsrv_stop(s);
}

static int
cancel_when_seen(void *arg)
{
	struct rpcsrv_stats ss;

	rpcsrv_stats(arg, &ss);
	return ss.requests > 0;
}

static int
cancel_in_backoff(void *arg)
{
	struct rpc_stats cs;

	rpc_stats(arg, &cs);
	return cs.nbackoff > 0;
}

static void
test_cancel(void)
{
	struct srv_act act;
	struct rpc_stats cs;
	struct rpc_error e;
	struct rpcsrv *s;
	struct rpc *r;
	cJSON *res;
	long t0, dt;

	memset(&act, 0, sizeof(act));
	act.kind = SRV_DELAY;
	act.delay_ms = 20000;
	s = serve(&act, 1, NULL);
	r = client(30000, 3);
	rpc_set_cancel(r, cancel_when_seen, s);
	t0 = rpcsrv_now_ms();
	res = rpc_call(r, "echo", NULL, &e);
	dt = rpcsrv_now_ms() - t0;
	ok(res == NULL && e.kind == RPC_ERR_CANCELLED && dt < 3000,
	    "cancelled while waiting for an answer (%ld ms; %s)", dt, e.msg);
	rpc_free(r);
	rpcsrv_stop(s);

	act.kind = SRV_STATUS;
	act.status = 503;
	s = serve(NULL, 0, &act);
	r = client(30000, 3);
	rpc_set_backoff(r, 5000, 5000);
	rpc_set_cancel(r, cancel_in_backoff, r);
	t0 = rpcsrv_now_ms();
	res = rpc_call(r, "echo", NULL, &e);
	dt = rpcsrv_now_ms() - t0;
	rpc_stats(r, &cs);
	ok(res == NULL && e.kind == RPC_ERR_CANCELLED && cs.nbackoff == 1 &&
	    (cs.backoff_ms[0] < 1000 || dt < 1000),
	    "cancelled during a %ld ms backoff after %ld ms",
	    cs.backoff_ms[0], dt);
	rpc_free(r);
	rpcsrv_stop(s);
}

static void
test_new(void)
{
	char err[256];

	ok(rpc_new("ftp://127.0.0.1/", 1000, 0, err, sizeof(err)) == NULL &&
	    strstr(err, "http://") != NULL, "ftp:// refused: %s", err);
	ok(rpc_new("http://127.0.0.1/", 0, 0, err, sizeof(err)) == NULL,
	    "zero timeout refused: %s", err);
	ok(rpc_new("http://127.0.0.1/", 10, -1, err, sizeof(err)) == NULL,
	    "negative retries refused: %s", err);
}

int
main(void)
{
	static const char *proxies[] = { "http_proxy", "HTTP_PROXY",
	    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	size_t i;

	/* Loopback only: no proxy from the environment. */
	for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	test_new();
	test_parse();
	test_parse_batch();
	test_basic();
	test_keepalive();
	test_server_error();
	test_retry_status();
	test_retry_transport();
	test_protocol();
	test_timeout();
	test_refused();
	test_backoff();
	test_size_limit();
	test_batch();
	test_cancel();
	return done_testing();
}
