/* lockbox check, audit search, keys and export: enforcement and the audit log. */
#include "cli/cmd.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/show.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/banned.h"

static void show_audit(json_t *l)
{
    static const char *const h[] = {"SEQ",  "TIME",     "ACTIVITY", "ACTOR",
                                    "ITEM", "DECISION", "TENANT"};
    static const char *const k[] = {"seq",  "time",     "activity",   "actor",
                                    "item", "decision", "tenant_name"};
    json_t *rec;
    size_t i;

    /* the provider's own records have no tenant; one the caller cannot name shows its id */
    json_array_foreach(json_object_get(l, "items"), i, rec)
    {
        if (json_is_null(json_object_get(rec, "tenant_id")))
            json_object_set_new(rec, "tenant_name", json_string("(provider)"));
        else if (!json_object_get(rec, "tenant_name"))
            json_object_set(rec, "tenant_name", json_object_get(rec, "tenant_id"));
    }
    show_items(l, h, k, 7);
}

static int fetch_audit(struct cli *cli, void *filter, const char *page_token,
                       struct lockbox_reply *r)
{
    struct lockbox_audit_filter *f = filter;

    f->page_token = page_token;
    return lockbox_audit_search(cli->lb, f, r);
}

int cmd_check(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_check_result res;
    struct lockbox_reply r = {0};
    const char *op = cli_opt(a, "operator"), *res_id = cli_opt(a, "resource");
    const char *level = cli_opt(a, "level");
    char until[FORMAT_TIME_LEN];
    int rc;

    if ((rc = cli_connect(cli)))
        return rc;
    if ((rc = lockbox_check(cli->lb, op, res_id, level, &res, &r)) != 0)
        return cmd_finish(cli, rc, &r, "check", NULL);
    if (cli->json || cli->field) {
        if ((rc = cli_print(cli, &r, NULL)) != 0) {
            lockbox_reply_clear(&r);
            return rc;
        }
    } else if (!cli->quiet && res.allowed) {
        format_time(res.ends_at, until);
        printf("allowed: request %s, until %s\n", res.request_id, until);
    } else if (!cli->quiet) {
        printf("denied\n");
    }
    lockbox_reply_clear(&r);
    return res.allowed ? CLI_EXIT_OK : CLI_EXIT_DENIED;
}

int cmd_audit_search(struct cli *cli, const struct cli_args *a)
{
    const struct cli_command *cmd = cmd_find("audit", "search");
    struct lockbox_audit_filter f = {.activity = cli_opt(a, "activity"),
                                     .actor = cli_opt(a, "actor"),
                                     .item = cli_opt(a, "item")};
    struct lockbox_reply r = {0};
    const char *lim = cli_opt(a, "limit");
    char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN], tid[CLI_ID_LEN];
    int rc;

    long n = 0;

    if (lim && parse_count(lim, 1, 1000, &n) != 0)
        return cli_usage_error(cmd, "bad --limit '%s' (1 to 1000)", lim);
    f.limit = (int)n;
    if ((rc = cmd_time_opt(cmd, a, "from", from, &f.from)) ||
        (rc = cmd_time_opt(cmd, a, "to", to, &f.to)) || (rc = cmd_prepare(cli, a, tid)))
        return rc;
    f.tenant_id = tid[0] ? tid : NULL;
    if (!cli_flag(a, "all"))
        return cmd_finish_named(cli, lockbox_audit_search(cli->lb, &f, &r), &r, "audit search",
                                show_audit);
    if (!f.limit)
        f.limit = 1000;
    return cmd_finish_named(cli, cmd_all_pages(cli, fetch_audit, &f, &r), &r, "audit search",
                            show_audit);
}

static void show_keys(json_t *l)
{
    static const char *const h[] = {"ID", "ALGORITHM", "PUBLIC KEY", "CREATED", "RETIRED"};
    static const char *const k[] = {"id", "algorithm", "public_key", "created_at", "retired_at"};
    show_items(l, h, k, 5);
}

int cmd_audit_keys(struct cli *cli, const struct cli_args *a)
{
    const char *out = cli_opt(a, "out");
    struct lockbox_reply r = {0};
    FILE *f;
    int rc;

    if ((rc = cli_connect(cli)))
        return rc;
    if ((rc = lockbox_audit_keys(cli->lb, &r)) != 0 || !out) {
        return cmd_finish(cli, rc, &r, "audit keys", show_keys);
    }
    /* the file `lockbox audit verify --key` reads, kept for verifying offline later */
    f = fopen(out, "w");
    bool written = f && fputs(r.body ? r.body : "", f) >= 0 && fputc('\n', f) >= 0;
    if (f && fclose(f) != 0) /* closed also when a write failed */
        written = false;
    if (!written) {
        fprintf(stderr, "lockbox: %s: %s\n", out, strerror(errno));
        lockbox_reply_clear(&r);
        return CLI_EXIT_USAGE;
    }
    if (!cli->quiet) {
        json_t *j = json_loads(r.body ? r.body : "", 0, NULL);
        show_keys(j);
        printf("wrote the keys to %s\n", out);
        json_decref(j);
    }
    lockbox_reply_clear(&r);
    return CLI_EXIT_OK;
}

/* The list under key as a table of "items". */
static void show_under(json_t *status, const char *key, const char *const *h, const char *const *k,
                       size_t cols)
{
    json_t *l = json_pack("{s:O}", "items", json_object_get(status, key));

    if (l)
        show_items(l, h, k, cols);
    json_decref(l);
}

static void show_status(json_t *s)
{
    static const char *const ch[] = {"CHAIN", "RECORDS", "WHOLE", "PROBLEM"};
    static const char *const ck[] = {"chain", "records", "whole", "problem"};
    static const char *const sh[] = {"STREAM",    "URL",      "PROFILE",
                                     "DELIVERED", "ATTEMPTS", "LAST ERROR"};
    static const char *const sk[] = {"id", "url", "profile", "delivered", "attempts", "last_error"};

    show_time("verified", s, "verified_at");
    show_under(s, "chains", ch, ck, 4);
    if (json_array_size(json_object_get(s, "streams")) > 0)
        show_under(s, "streams", sh, sk, 6);
}

int cmd_audit_status(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    (void)a;
    return rc ? rc
              : cmd_finish(cli, lockbox_audit_status(cli->lb, &r), &r, "audit status", show_status);
}

/* ---- export ---- */

struct export_sink {
    FILE *f;
    bool tty; /* a progress line on stderr */
    int64_t bytes, lines, shown_us;
    int err; /* errno of a failed write */
};

static void export_progress(struct export_sink *s, bool last)
{
    int64_t now = time_mono_us();

    if (!s->tty || (!last && now - s->shown_us < 250000))
        return;
    s->shown_us = now;
    fprintf(stderr, "\rexporting the audit log: %lld lines, %.1f MB%s", (long long)s->lines,
            (double)s->bytes / 1e6, last ? "\n" : "");
    fflush(stderr);
}

static int export_write(void *ctx, const char *data, size_t len)
{
    struct export_sink *s = ctx;

    if (fwrite(data, 1, len, s->f) != len) {
        s->err = errno ? errno : EIO;
        return -1;
    }
    s->bytes += (int64_t)len;
    for (const char *p = data; (p = memchr(p, '\n', len - (size_t)(p - data))) != NULL; p++)
        s->lines++;
    export_progress(s, false);
    return 0;
}

int cmd_audit_export(struct cli *cli, const struct cli_args *a)
{
    const struct cli_command *cmd = cmd_find("audit", "export");
    const char *out = cli_opt(a, "out");
    struct lockbox_audit_filter f = {.activity = cli_opt(a, "activity"),
                                     .actor = cli_opt(a, "actor"),
                                     .item = cli_opt(a, "item")};
    struct lockbox_reply r = {0};
    struct export_sink s = {.tty = isatty(STDERR_FILENO) == 1 && !cli->quiet};
    char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN], tid[CLI_ID_LEN];
    bool to_stdout = strcmp(out, "-") == 0;
    int rc;

    if ((rc = cmd_time_opt(cmd, a, "from", from, &f.from)) ||
        (rc = cmd_time_opt(cmd, a, "to", to, &f.to)) || (rc = cmd_prepare(cli, a, tid)))
        return rc;
    f.tenant_id = tid[0] ? tid : NULL;
    if (!(s.f = to_stdout ? stdout : fopen(out, "w"))) {
        fprintf(stderr, "lockbox: %s: %s\n", out, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (to_stdout)
        s.tty = false;
    rc = lockbox_audit_export(cli->lb, &f, cli_opt(a, "profile"), export_write, &s, &r);
    if (rc == 0 && (s.err || fflush(s.f) != 0))
        s.err = s.err ? s.err : errno;
    if (!to_stdout && fclose(s.f) != 0 && !s.err)
        s.err = errno;
    export_progress(&s, true);
    if (rc || s.err) {
        if (!to_stdout)
            (void)unlink(out); /* no half export left to be taken for a whole one */
        if (s.err) {
            fprintf(stderr, "lockbox: %s: %s\n", out, strerror(s.err));
            rc = CLI_EXIT_USAGE;
        } else {
            rc = cli_fail(cli, rc, &r, "audit export");
        }
    } else if (!cli->quiet && !to_stdout) {
        printf("wrote %lld lines (%lld bytes) to %s; check it with lockbox audit verify %s "
               "--key KEYFILE\n",
               (long long)s.lines, (long long)s.bytes, out, out);
    }
    lockbox_reply_clear(&r);
    return rc;
}
