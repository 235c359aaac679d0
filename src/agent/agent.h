/*
 * agent.h - lockbox-agent's engine: ends the login sessions of this host whose grant ended.
 *
 * The agent keeps the sessions of the registry (registry.h) whose process is still the
 * session's (alive, in the recorded session, started no later than the session opened: a
 * reused or foreign pid is never touched). It ends a session (procs.h: SIGHUP, then SIGKILL
 * after grace_ms) when
 *   - the event stream tells that its request left `approved` (revoked, completed; or
 *     canceled, denied, expired, which a request with a session cannot reach but would end it
 *     too): agent_event;
 *   - its grant's ends_at passes, by the agent's own clock, without waiting for an event;
 *   - an access check (POST /api/v1/access/check for its user, resource and level) answers
 *     that nothing allows it: done for every session when it is first seen (a revoke can come
 *     between pam_lockbox's check and its registering the session) and for all of them after
 *     the stream was lost or reset (agent_recheck), so a missed event still ends it. A check
 *     that gets no answer is retried; a session is never ended for want of an answer.
 * Each ended session is recorded as an operator action `session.terminated` under its request
 * (details: host, pid, sid, user, tty, service, rhost, reason, processes, killed), retried
 * until Lockbox takes it, and its registry file is removed.
 *
 * agent_run is the main loop and owns the API handle given to agent_new (its calls); the
 * event stream is followed on another thread, with another handle, feeding agent_event and
 * agent_recheck, which, like agent_stop, are safe from any thread. Errors: LB_ENOMEM, LB_EIO.
 */
#ifndef LB_AGENT_AGENT_H
#define LB_AGENT_AGENT_H

#include "util/err.h"

#include <stdint.h>

struct lockbox;

struct agent_config {
    const char *session_dir; /* the registry */
    const char *proc_root;   /* "/proc" */
    const char *host;        /* this host's name, for the records */
    int64_t grace_ms;        /* from SIGHUP to SIGKILL */
    int64_t rescan_ms;       /* the registry is read again at least this often */
};

struct agent;

/* A new agent (cfg's strings are copied) calling Lockbox through api (borrowed). */
LB_MUST_CHECK int agent_new(const struct agent_config *cfg, struct lockbox *api,
                            struct agent **out);
void agent_free(struct agent *a);
/* An event of the stream (type and JSON data as liblockbox hands them over). */
void agent_event(struct agent *a, const char *type, const char *data);
/* Every session is to be checked with Lockbox again (the stream was lost, or reset). */
void agent_recheck(struct agent *a);
/* Makes agent_run return. */
void agent_stop(struct agent *a);
/* Runs until agent_stop. */
void agent_run(struct agent *a);

#endif
