/*
 * status: the status file in run_dir (libcommon/stfile.h: its line, one
 * for us, one per peer, rewritten every second; -s prints and judges it)
 * and the metrics, per peer labelled, for Prometheus.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "log.h"
#include "stfile.h"
#include "connector/cn.h"

void
status_write(struct connector *c)
{
	struct peer *p;
	FILE	*f;
	size_t	 i, up = 0, queued = 0, behind;

	for (i = 0; i < c->npeer; i++) {
		up += c->peer[i]->conn != NULL;
		queued += c->peer[i]->qlen;
	}
	svc_gauge(&c->svc, "coord_connector_peers", "Validators configured.",
	    (double)c->npeer);
	svc_gauge(&c->svc, "coord_connector_peers_connected",
	    "Validators connected.", (double)up);
	svc_gauge(&c->svc, "coord_connector_queued", "Messages waiting for "
	    "acknowledgement, in memory.", (double)queued);
	svc_counter(&c->svc, "coord_connector_received_total", "Messages "
	    "received from peers.", (double)c->n_in);
	for (i = behind = 0; i < c->npeer; i++)
		behind += c->peer[i]->nbehind > 0;
	svc_gauge(&c->svc, "coord_connector_peers_behind", "Validators served "
	    "from the log (their queue overflowed).", (double)behind);
	f = stfile_begin(&c->svc.status, c->ready, c->ready ? "ready" :
	    "starting", c->ready ? NULL : "waiting for the broker (no "
	    "partition assigned yet: unreachable, or the topics missing)");
	if (f == NULL)
		return;
	fprintf(f, "connector %s %s peers=%zu connected=%zu queued=%zu "
	    "received=%llu\n", cfg_str(c->app.cfg, "general", "name"),
	    c->id.idstr, c->npeer, up, queued, (unsigned long long)c->n_in);
	for (i = 0; i < c->npeer; i++) {
		p = c->peer[i];
		fprintf(f, "peer %s %s %s rtt=%ums queued=%zu behind=%s "
		    "sent=%llu acked=%llu replayed=%llu received=%llu "
		    "rejected=%llu last_error=%s\n",
		    p->name, p->idstr, p->conn != NULL ? "connected" :
		    p->dconn != NULL ? "connecting" : "down",
		    p->conn != NULL ? p->conn->rtt_ms : 0, p->qlen,
		    p->nbehind > 0 ? "yes" : "no",
		    (unsigned long long)p->n_sent,
		    (unsigned long long)p->n_acked,
		    (unsigned long long)p->n_replayed,
		    (unsigned long long)p->n_recv,
		    (unsigned long long)p->n_rejected,
		    p->last_error[0] ? p->last_error : "-");
	}
	stfile_end(&c->svc.status, f);
}

/* Per peer, labelled peer="NAME": what -s shows, for Prometheus. */
void
status_metrics(struct svc *s, FILE *fp)
{
	struct connector *c = s->metrics_arg;
	struct peer *p;
	size_t	 i, k;
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "coord_connector_peer_up", "gauge", "1 when the validator is "
		    "connected." },
		{ "coord_connector_peer_rtt_seconds", "gauge", "Keepalive round "
		    "trip (0 when not connected)." },
		{ "coord_connector_peer_queued", "gauge", "Messages waiting for "
		    "its acknowledgement, in memory." },
		{ "coord_connector_peer_behind", "gauge", "1 when it is served "
		    "from the log (its queue overflowed)." },
		{ "coord_connector_peer_sent_total", "counter", "Messages sent "
		    "to it." },
		{ "coord_connector_peer_acked_total", "counter", "Messages it "
		    "acknowledged." },
		{ "coord_connector_peer_received_total", "counter", "Messages "
		    "received from it." },
		{ "coord_connector_peer_rejected_total", "counter", "Messages "
		    "refused either way." },
	};
	double	 v = 0;

	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		metrics_family(fp, fam[k].name, fam[k].type, fam[k].help);
		for (i = 0; i < c->npeer; i++) {
			p = c->peer[i];
			switch (k) {
			case 0: v = p->conn != NULL; break;
			case 1: v = p->conn != NULL ? p->conn->rtt_ms / 1e3 :
				    0;
				break;
			case 2: v = (double)p->qlen; break;
			case 3: v = p->nbehind > 0; break;
			case 4: v = (double)p->n_sent; break;
			case 5: v = (double)p->n_acked; break;
			case 6: v = (double)p->n_recv; break;
			case 7: v = (double)p->n_rejected; break;
			}
			metrics_sample(fp, fam[k].name, s->id, "peer", p->name,
			    v);
		}
	}
}

void
status_print(const struct connector *c)
{
	stfile_print(&c->app);
}
