/*
 * scheduler.h - the thread that expires pending requests and completes grants on time.
 *
 * It sleeps until the earliest deadline in the store, or until core reports a sooner one
 * (scheduler_wake, wired as core's deadline hook), then runs core_run_due. It runs once at
 * start, so deadlines that passed while lockboxd was down are handled at once. No polling.
 * The scheduler borrows core. Errors: LB_ENOMEM, LB_EIO (cannot start the thread).
 */
#ifndef LB_DAEMON_SCHEDULER_H
#define LB_DAEMON_SCHEDULER_H

#include "core/core.h"

#include <stdint.h>

struct scheduler;

LB_MUST_CHECK int scheduler_start(struct core *core, struct scheduler **out);
/* Asks for a run no later than `at` (Unix seconds); safe from any thread. */
void scheduler_wake(void *scheduler, int64_t at);
/* Stops the thread and frees the scheduler; accepts NULL. */
void scheduler_stop(struct scheduler *s);

#endif
