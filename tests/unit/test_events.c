/*
 * The request event stream (core/events.h and the store's events table) on a real SQLite store
 * in memory with a clock the tests move: transitions append their event in their own
 * transaction (a refused one appends none), seq numbering that survives pruning and never
 * reuses a number, prefix pruning by count and age, where a stream starts (reset for a pruned
 * or foreign id), reads that see a gap, and who sees what.
 */
#include "core/core.h"
#include "core/events.h"
#include "store/seal.h"
#include "store/store_sqlite.h"
#include "util/mem.h"

#include <jansson.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define PW "correct horse battery"
#define T0 1795000000

struct world {
    int64_t now;
    struct seal *seal;
    struct store *st;
    struct core *c;
    struct principal admin, eng, t_admin;
    char tenant_id[ID_LEN], ticket_id[ID_LEN];
    int wakes; /* calls of the events hook */
};

static int64_t fake_now(void *ctx)
{
    return ((struct world *)ctx)->now;
}

static int keep_token(void *ctx, const char *token)
{
    memcpy(ctx, token, strlen(token) + 1);
    return 0;
}

static void woken(void *ctx)
{
    ((struct world *)ctx)->wakes++;
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    struct core_config cfg = {.session_ttl_seconds = 86400,
                              .bootstrap_token_ttl_seconds = 86400,
                              .tenant_defaults = {.pending_expiry_seconds = 3600,
                                                  .default_grant_seconds = 600,
                                                  .max_grant_seconds = 7200,
                                                  .required_approvals = 1},
                              .events_retention_seconds = 3600,
                              .events_retention_count = 5};
    char *roles[] = {"support_engineer"}, *scopes[] = {"/subscriptions"};
    struct user_create eng = {.username = "eng",
                              .password = PW,
                              .email = "e@x.example",
                              .isolated_identity = true,
                              .totp = true,
                              .roles = roles,
                              .role_count = 1};
    struct user_create ta = {.username = "contoso-admin", .password = PW, .email = "a@x.example"};
    char token[TOKEN_LEN], secret[TOTP_SECRET_LEN], code[8];
    int64_t expires, retry;
    struct policy *p = NULL;
    struct buf err = BUF_INIT;
    struct tenant t = {0};
    struct ticket tk = {0};
    struct user u = {0}, a = {0};
    bool created;

    if (!w)
        return -1;
    w->now = T0;
    assert_true(sodium_init() >= 0);
    assert_int_equal(store_sqlite_open(":memory:", &w->st, &err), 0);
    assert_int_equal(seal_new_ephemeral(&w->seal), 0);
    assert_int_equal(store_seal_attach(w->st, w->seal), 0);
    assert_int_equal(policy_default(&p), 0);
    assert_int_equal(core_new(w->st, (struct clock){fake_now, w}, p, &cfg, &w->c), 0);
    core_set_events_hook(w->c, woken, w);
    assert_int_equal(core_bootstrap(w->c, keep_token, token, &created), 0);
    assert_int_equal(core_authenticate(w->c, token, &w->admin), 0);
    assert_int_equal(core_user_create(w->c, &w->admin, NULL, &eng, &u, secret, &err), 0);
    assert_int_equal(totp_code(secret, w->now / TOTP_STEP_SECONDS, 6, code, sizeof(code)), 0);
    assert_int_equal(
        core_login(w->c, "eng", PW, code, "127.0.0.1", token, &expires, &w->eng, &retry, &err), 0);
    assert_int_equal(
        core_tenant_create(w->c, &w->admin, "contoso", "standard", scopes, 1, &ta, &t, &a, &err),
        0);
    memcpy(w->tenant_id, t.id, strlen(t.id) + 1);
    assert_int_equal(core_login(w->c, "contoso-admin", PW, NULL, "127.0.0.1", token, &expires,
                                &w->t_admin, &retry, &err),
                     0);
    assert_int_equal(
        core_ticket_create(w->c, &w->t_admin, w->tenant_id, "VM down", "help", "high", &tk, &err),
        0);
    memcpy(w->ticket_id, tk.id, strlen(tk.id) + 1);
    ticket_clear(&tk);
    tenant_clear(&t);
    user_clear(&u);
    user_clear(&a);
    buf_release(&err);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;

    principal_clear(&w->admin);
    principal_clear(&w->eng);
    principal_clear(&w->t_admin);
    core_free(w->c);
    store_close(w->st);
    seal_free(w->seal);
    free(w);
    return 0;
}

static int64_t last_seq(struct world *w)
{
    int64_t pruned, last;

    assert_int_equal(store_event_bounds(w->st, &pruned, &last), 0);
    return last;
}

/* Appends an event by hand: of tenant, visible to it or not, made at `at`. */
static int64_t append(struct world *w, const char *tenant, bool visible, int64_t at)
{
    struct request_event e = {.id = "11111111-2222-3333-4444-555555555555",
                              .type = "request.pending",
                              .tenant_id = (char *)tenant,
                              .request_id = "r",
                              .tenant_visible = visible,
                              .created_at = at,
                              .body = "{}"};
    int64_t seq = 0;

    assert_int_equal(store_event_insert(w->st, &e, &seq), 0);
    return seq;
}

static void create(struct world *w, enum access_level level, struct request *out)
{
    char *res[] = {"/subscriptions/s1/vms/vm1"};
    struct request_create in = {.tenant_id = w->tenant_id,
                                .ticket_id = w->ticket_id,
                                .resource_type = "vm.remote_access",
                                .justification = "boot logs",
                                .resource_ids = res,
                                .resource_count = 1,
                                .access_level = level};
    struct buf err = BUF_INIT;

    assert_int_equal(core_request_create(w->c, &w->eng, &in, out, &err), 0);
    buf_release(&err);
}

static void transitions_append_their_event_in_their_transaction(void **state)
{
    struct world *w = *state;
    struct event_view all = {.all = true}, mine = {0};
    struct request_event_list l = {0};
    struct request pending = {0}, internal = {0}, out = {0};
    struct buf err = BUF_INIT;
    int64_t before = last_seq(w), through;
    bool gap;
    json_t *body;

    create(w, ACCESS_READ, &pending);
    assert_int_equal(pending.status, REQ_PENDING);
    create(w, ACCESS_ADMIN, &internal);
    assert_int_equal(internal.status, REQ_PENDING_INTERNAL);
    assert_int_equal(last_seq(w), before + 2);
    assert_int_equal(w->wakes, 2);
    assert_int_equal(core_events_read(w->c, &all, before, 10, &l, &through, &gap), 0);
    assert_false(gap);
    assert_int_equal(l.count, 2);
    assert_int_equal(through, before + 2);
    assert_string_equal(l.items[0].type, "request.pending");
    assert_string_equal(l.items[0].request_id, pending.id);
    assert_true(l.items[0].tenant_visible);
    assert_string_equal(l.items[1].type, "request.pending_internal");
    assert_false(l.items[1].tenant_visible);
    /* the body is the webhook's: id, type, time, tenant_id and the request as it became */
    body = json_loads(l.items[0].body, 0, NULL);
    assert_non_null(body);
    assert_int_equal(json_object_size(body), 5);
    assert_string_equal(json_string_value(json_object_get(body, "type")), "request.pending");
    assert_string_equal(json_string_value(json_object_get(body, "id")), l.items[0].id);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "request"), "status")), "pending");
    json_decref(body);
    request_event_list_clear(&l);

    assert_int_equal(core_request_decide(w->c, &w->t_admin, pending.id, true, NULL, &out, &err), 0);
    assert_int_equal(last_seq(w), before + 3);
    request_clear(&out);
    /* a refused transition rolls back inside its transaction: no event, no number used */
    assert_int_equal(core_request_decide(w->c, &w->t_admin, pending.id, true, NULL, &out, &err),
                     LB_ECONFLICT);
    assert_int_equal(last_seq(w), before + 3);
    assert_int_equal(w->wakes, 3);

    /* the tenant sees what reached it, never pending_internal */
    assert_int_equal(core_events_view(&w->t_admin, &mine), 0);
    assert_false(mine.all);
    assert_int_equal(core_events_read(w->c, &mine, before, 10, &l, &through, &gap), 0);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].type, "request.pending");
    assert_string_equal(l.items[1].type, "request.approved");
    assert_int_equal(through, before + 3);
    request_event_list_clear(&l);
    request_clear(&pending);
    request_clear(&internal);
    request_clear(&out);
    buf_release(&err);
}

static void views_follow_the_roles(void **state)
{
    struct world *w = *state;
    struct principal nobody = {.user_id = "x", .username = "x"};
    struct event_view v;

    assert_int_equal(core_events_view(&w->admin, &v), 0);
    assert_true(v.all);
    assert_int_equal(core_events_view(&w->eng, &v), 0);
    assert_true(v.all);
    nobody.provider_roles = PROV_ENFORCER;
    assert_int_equal(core_events_view(&nobody, &v), 0);
    assert_true(v.all);
    nobody.provider_roles = 0;
    assert_int_equal(core_events_view(&nobody, &v), LB_EFORBIDDEN);
    assert_int_equal(core_events_view(&w->t_admin, &v), 0);
    assert_false(v.all);
    assert_string_equal(v.tenant_id, w->tenant_id);
}

static void reads_filter_page_and_bound(void **state)
{
    struct world *w = *state;
    struct event_view all = {.all = true}, other = {.all = false};
    struct request_event_list l = {0};
    int64_t first = append(w, "A", true, T0), through;
    bool gap;

    append(w, "B", true, T0);
    append(w, "A", false, T0);
    append(w, "A", true, T0);
    snprintf(other.tenant_id, sizeof(other.tenant_id), "A");
    /* a full page: through is its last event, not the newest */
    assert_int_equal(core_events_read(w->c, &all, first - 1, 2, &l, &through, &gap), 0);
    assert_int_equal(l.count, 2);
    assert_int_equal(through, first + 1);
    request_event_list_clear(&l);
    /* a short read saw everything: through is the newest, even past what it returned */
    assert_int_equal(core_events_read(w->c, &other, first - 1, 10, &l, &through, &gap), 0);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.items[0].seq, first);
    assert_int_equal(l.items[1].seq, first + 3);
    assert_int_equal(through, first + 3);
    request_event_list_clear(&l);
    /* nothing new: nothing read */
    assert_int_equal(core_events_read(w->c, &all, first + 3, 10, &l, &through, &gap), 0);
    assert_int_equal(l.count, 0);
    assert_int_equal(through, first + 3);
}

static void pruning_keeps_a_numbered_suffix(void **state)
{
    struct world *w = *state;
    struct event_view all = {.all = true};
    struct request_event_list l = {0};
    int64_t first = append(w, "A", true, T0), pruned, last, deleted, after, through;
    bool reset, gap;

    for (int i = 1; i < 8; i++)
        append(w, "A", true, i == 6 ? T0 : T0 + i); /* the 7th made "before" the 6th */
    /* retention 5: the oldest three go, as a prefix */
    assert_int_equal(core_events_prune(w->c, &deleted), 0);
    assert_int_equal(deleted, 3);
    assert_int_equal(store_event_bounds(w->st, &pruned, &last), 0);
    assert_int_equal(pruned, first + 2);
    assert_int_equal(last, first + 7);
    /* where streams start */
    assert_int_equal(core_events_start(w->c, false, 0, &after, &reset), 0);
    assert_int_equal(after, last);
    assert_false(reset);
    assert_int_equal(core_events_start(w->c, true, first + 1, &after, &reset), 0);
    assert_true(reset);
    assert_int_equal(after, last);
    assert_int_equal(core_events_start(w->c, true, first + 2, &after, &reset), 0);
    assert_false(reset);
    assert_int_equal(after, first + 2);
    assert_int_equal(core_events_start(w->c, true, last + 1, &after, &reset), 0);
    assert_true(reset); /* an id this store never gave */
    /* a reader behind the prune sees a gap, not a silent hole */
    assert_int_equal(core_events_read(w->c, &all, first, 10, &l, &through, &gap), 0);
    assert_true(gap);
    assert_int_equal(l.count, 0);
    assert_int_equal(core_events_read(w->c, &all, first + 2, 10, &l, &through, &gap), 0);
    assert_false(gap);
    assert_int_equal(l.count, 5);
    request_event_list_clear(&l);

    /* by age: what is older than an hour goes, and what came before it (a prefix still) */
    w->now = T0 + 3600 + 6;
    assert_int_equal(core_events_prune(w->c, &deleted), 0);
    assert_int_equal(deleted, 4);
    assert_int_equal(store_event_bounds(w->st, &pruned, &last), 0);
    assert_int_equal(pruned, first + 6);
    /* everything gone: numbers go on, never reused */
    w->now = T0 + 7200;
    assert_int_equal(core_events_prune(w->c, &deleted), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_event_bounds(w->st, &pruned, &last), 0);
    assert_int_equal(pruned, first + 7);
    assert_int_equal(last, first + 7);
    assert_int_equal(append(w, "A", true, w->now), first + 8);
}

static void a_rolled_back_event_leaves_no_hole(void **state)
{
    struct world *w = *state;
    int64_t before = last_seq(w);

    assert_int_equal(store_begin(w->st), 0);
    append(w, "A", true, T0);
    store_rollback(w->st);
    assert_int_equal(last_seq(w), before);
    assert_int_equal(append(w, "A", true, T0), before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(transitions_append_their_event_in_their_transaction, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(views_follow_the_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_filter_page_and_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(pruning_keeps_a_numbered_suffix, setup, teardown),
        cmocka_unit_test_setup_teardown(a_rolled_back_event_leaves_no_hole, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
