/* lockbox audit verify: an export of the audit log checked offline (audit/chain.h). */
#include "audit/chain.h"
#include "cli/cmd.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* ---- the keys ---- */

/* Adds one key (id: NULL to derive it from the public key). */
static int key_add(struct audit_key_list *keys, size_t *cap, const char *id, const char *pk)
{
    char derived[AUDIT_KEY_ID_LEN];
    struct audit_key *k;

    if (audit_key_id(pk, derived) != 0 || (id && strcmp(id, derived) != 0))
        return LB_EINVAL;
    if (lb_array_reserve(&keys->items, cap, keys->count, sizeof(*keys->items)) != 0)
        return LB_ENOMEM;
    k = &keys->items[keys->count];
    memset(k, 0, sizeof(*k));
    k->id = lb_strdup(derived);
    k->public_key = lb_strdup(pk);
    if (!k->id || !k->public_key) {
        audit_key_clear(k);
        return LB_ENOMEM;
    }
    keys->count++;
    return 0;
}

/* The keys of GET /api/v1/audit/keys's JSON (its items, or one key object). */
static int keys_from_json(json_t *j, struct audit_key_list *keys, size_t *cap)
{
    json_t *items = json_is_object(j) ? json_object_get(j, "items") : NULL, *k;
    size_t i;
    int rc = 0;

    if (!items && json_is_object(j))
        return key_add(keys, cap, json_string_value(json_object_get(j, "id")),
                       json_string_value(json_object_get(j, "public_key")));
    if (!json_is_array(items))
        return LB_EINVAL;
    json_array_foreach(items, i, k)
    {
        if (rc == 0)
            rc = key_add(keys, cap, json_string_value(json_object_get(k, "id")),
                         json_string_value(json_object_get(k, "public_key")));
    }
    return rc;
}

/* The keys of a text file: a public key in hex per line, optionally after its id. */
static int keys_from_text(const char *text, struct audit_key_list *keys, size_t *cap)
{
    char line[256];
    int rc = 0;

    while (rc == 0 && *text) {
        size_t n = strcspn(text, "\n");
        char *sp;
        if (n < sizeof(line)) {
            memcpy(line, text, n);
            line[n] = '\0';
            while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
                line[--n] = '\0';
            sp = strchr(line, ' ');
            if (sp)
                *sp = '\0';
            if (n && line[0] != '#')
                rc = key_add(keys, cap, sp ? line : NULL, sp ? sp + 1 : line);
        } else {
            rc = LB_EINVAL;
        }
        text += text[n] ? n + 1 : n;
    }
    return rc;
}

/* Reads the keys of path: the JSON the server gives (lockbox audit keys), or text. */
static int keys_load(const char *path, struct audit_key_list *keys)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    size_t cap = 0;
    int rc;

    if (j) {
        rc = keys_from_json(j, keys, &cap);
        json_decref(j);
    } else {
        FILE *f = fopen(path, "r");
        char text[8192];
        size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
        if (!f)
            return LB_EIO;
        text[n] = '\0';
        fclose(f);
        rc = n < sizeof(text) - 1 ? keys_from_text(text, keys, &cap) : LB_EINVAL;
    }
    return rc == 0 && keys->count == 0 ? LB_EINVAL : rc;
}

/* The keys the server serves. */
static int keys_fetch(struct cli *cli, struct audit_key_list *keys, int *exit_code)
{
    struct lockbox_reply r = {0};
    json_t *j;
    size_t cap = 0;
    int rc;

    if ((*exit_code = cli_connect(cli)) != 0)
        return LB_EIO;
    if ((rc = lockbox_audit_keys(cli->lb, &r)) != 0) {
        *exit_code = cli_fail(cli, rc, &r, "audit keys");
        lockbox_reply_clear(&r);
        return LB_EIO;
    }
    j = json_loads(r.body ? r.body : "", 0, NULL);
    rc = j ? keys_from_json(j, keys, &cap) : LB_EINVAL;
    json_decref(j);
    lockbox_reply_clear(&r);
    return rc;
}

/* ---- the lines ---- */

static const char *str_of(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The names of a record line's fields: Lockbox's, or Microsoft 365's (the m365 profile). */
enum {
    F_TIME,
    F_TENANT,
    F_ACTOR,
    F_ACTOR_ID,
    F_ACTOR_TYPE,
    F_IP,
    F_ACTIVITY,
    F_ITEM,
    F_REQUEST,
    F_DECISION,
    F_DETAILS,
    F_COUNT
};
static const char *const lockbox_names[F_COUNT] = {
    "time",     "tenant_id", "actor",      "actor_id", "actor_type", "client_ip",
    "activity", "item",      "request_id", "decision", "details"};
static const char *const m365_names[F_COUNT] = {
    "CreationTime", "OrganizationId", "UserId",    "UserKey",          "UserType", "ClientIP",
    "Operation",    "ObjectId",       "RequestId", "ApprovalDecision", "Details"};
/* what else a record line holds, unhashed: its place, its number, and m365's constants */
static const char *const lockbox_more[] = {"type",      "seq",  "chain", "chain_index",
                                           "prev_hash", "hash", NULL};
static const char *const m365_more[] = {
    "type", "Id", "RecordType", "Workload", "chain", "chain_index", "prev_hash", "hash", NULL};
static const char *const link_keys[] = {"type", "chain", "chain_index", "prev_hash", "hash", NULL};

static bool listed(const char *const *names, size_t n, const char *key)
{
    for (size_t i = 0; i < n && names[i]; i++)
        if (strcmp(names[i], key) == 0)
            return true;
    return false;
}

/* true when every key of o is one its kind of line has: nothing rides along unhashed that a
 * reader could take for the record */
static bool only_known_keys(json_t *o, bool link, bool m365)
{
    const char *key;
    json_t *v;

    json_object_foreach(o, key, v)
    {
        (void)v;
        if (link ? !listed(link_keys, SIZE_MAX, key)
                 : !listed(m365 ? m365_names : lockbox_names, F_COUNT, key) &&
                       !listed(m365 ? m365_more : lockbox_more, SIZE_MAX, key))
            return false;
    }
    return true;
}

/* A record or link line as a record (its strings borrowed from o, details into *details). */
static int line_record(json_t *o, bool link, bool m365, struct audit_record *r, char **details)
{
    const char *const *n = m365 ? m365_names : lockbox_names;
    json_t *d = json_object_get(o, n[F_DETAILS]);
    const char *time = str_of(o, n[F_TIME]);

    memset(r, 0, sizeof(*r));
    r->chain = str_of(o, "chain");
    r->chain_index = json_integer_value(json_object_get(o, "chain_index"));
    r->prev_hash = str_of(o, "prev_hash");
    r->hash = str_of(o, "hash");
    if (!only_known_keys(o, link, m365))
        return LB_EINVAL;
    if (link)
        return 0;
    if (!time || time_parse_rfc3339(time, &r->time) != 0 || !json_is_object(d))
        return LB_EINVAL;
    r->tenant_id = str_of(o, n[F_TENANT]);
    r->actor = str_of(o, n[F_ACTOR]);
    r->actor_id = str_of(o, n[F_ACTOR_ID]);
    r->actor_type = str_of(o, n[F_ACTOR_TYPE]);
    r->client_ip = str_of(o, n[F_IP]);
    r->activity = str_of(o, n[F_ACTIVITY]);
    r->item = str_of(o, n[F_ITEM]);
    r->request_id = str_of(o, n[F_REQUEST]);
    r->decision = str_of(o, n[F_DECISION]);
    /* the hash covers the details as audit/ wrote them: compact, keys sorted */
    if (!(*details = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS)))
        return LB_ENOMEM;
    r->details = *details;
    return 0;
}

static int line_checkpoint(json_t *o, struct audit_checkpoint *cp)
{
    const char *time = str_of(o, "time");

    *cp = (struct audit_checkpoint){.chain = str_of(o, "chain"),
                                    .index = json_integer_value(json_object_get(o, "chain_index")),
                                    .hash = str_of(o, "hash"),
                                    .key_id = str_of(o, "key_id"),
                                    .signature = str_of(o, "signature")};
    return time && time_parse_rfc3339(time, &cp->time) == 0 ? 0 : LB_EINVAL;
}

/* The end line (its strings borrowed from o; *chains and *scope the caller's to free). */
static int line_end(json_t *o, struct audit_export_end *end, struct audit_export_chain **chains,
                    char **scope)
{
    json_t *list = json_object_get(o, "chains"), *c, *sc = json_object_get(o, "scope");
    const char *time = str_of(o, "time");
    size_t i;

    *end = (struct audit_export_end){.key_id = str_of(o, "key_id"),
                                     .signature = str_of(o, "signature")};
    if (!time || time_parse_rfc3339(time, &end->time) != 0 || !json_is_array(list) ||
        !json_is_object(sc))
        return LB_EINVAL;
    /* signed as compact JSON with sorted keys, as lockboxd wrote it */
    if (!(*scope = json_dumps(sc, JSON_COMPACT | JSON_SORT_KEYS)))
        return LB_ENOMEM;
    end->scope = *scope;
    if (json_array_size(list) && !(*chains = lb_calloc(json_array_size(list), sizeof(**chains))))
        return LB_ENOMEM;
    json_array_foreach(list, i, c)
    {
        struct audit_export_chain *e = &(*chains)[i];
        *e = (struct audit_export_chain){
            .chain = str_of(c, "chain"),
            .start_index = json_integer_value(json_object_get(c, "start_index")),
            .start_hash = str_of(c, "start_hash"),
            .index = json_integer_value(json_object_get(c, "chain_index")),
            .hash = str_of(c, "hash"),
            .records = json_integer_value(json_object_get(c, "records")),
            .records_digest = str_of(c, "records_digest")};
        if (!e->chain || !e->start_hash || !e->hash || !e->records_digest)
            return LB_EINVAL;
    }
    end->chains = *chains;
    end->count = json_array_size(list);
    return 0;
}

struct verify_state {
    struct audit_verify *v;
    int64_t links;
    int profile; /* of the file's records: 0 not known yet, 1 lockbox, 2 m365 */
    bool ended;
    char end_key_id[AUDIT_KEY_ID_LEN];
    char *scope; /* (owned) what the end says the export is of */
};

/* The file's profile, fixed by its first record: every record after must be of it. */
static bool same_profile(struct verify_state *st, json_t *o)
{
    int mine = json_object_get(o, "CreationTime") ? 2 : 1;

    if (!st->profile)
        st->profile = mine;
    return st->profile == mine;
}

/* The end, checked: its signature and chains, and that it names the profile of the records. */
static int verify_end_line(struct verify_state *st, json_t *o, struct buf *why)
{
    struct audit_export_end end;
    struct audit_export_chain *chains = NULL;
    const char *profile =
        json_string_value(json_object_get(json_object_get(o, "scope"), "profile"));
    int rc = line_end(o, &end, &chains, &st->scope);

    if (rc)
        buf_puts(why, "a malformed end");
    else if ((rc = audit_verify_end(st->v, &end, why)) == 0 && st->profile &&
             (!profile || strcmp(profile, st->profile == 2 ? "m365" : "lockbox") != 0)) {
        buf_puts(why, "the export's end names another profile than its records'");
        rc = LB_EVERIFY;
    }
    if (rc == 0) {
        st->ended = true;
        snprintf(st->end_key_id, sizeof(st->end_key_id), "%s", end.key_id ? end.key_id : "");
    }
    lb_free(chains);
    return rc ? LB_EVERIFY : 0;
}

/* Verifies one line of the export; LB_EVERIFY with why when it breaks the export. */
static int verify_line(struct verify_state *st, const char *text, struct buf *why)
{
    json_error_t jerr;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    const char *type = o ? str_of(o, "type") : NULL;
    struct audit_record r;
    struct audit_checkpoint cp;
    char *details = NULL;
    int rc = LB_EVERIFY;

    if (!o || !type) {
        buf_appendf(why, "it is not a line of an export (%s)", o ? "no type" : jerr.text);
    } else if (st->ended) {
        buf_puts(why, "it comes after the export's end (lines were added)");
    } else if (strcmp(type, "record") == 0 || strcmp(type, "link") == 0) {
        bool link = type[0] == 'l';
        if (!link && !same_profile(st, o))
            buf_puts(why, "a record of another profile than the file's first");
        else if ((rc = line_record(o, link, st->profile == 2, &r, &details)) != 0)
            buf_puts(why, rc == LB_EINVAL ? "a record without its time or details, or with "
                                            "fields a record does not have"
                                          : "out of memory");
        else
            rc = audit_verify_record(st->v, &r, link, why);
        rc = rc ? LB_EVERIFY : 0;
        st->links += rc == 0 && link;
    } else if (strcmp(type, "checkpoint") == 0) {
        rc = line_checkpoint(o, &cp) ? LB_EVERIFY : audit_verify_checkpoint(st->v, &cp, why);
        if (rc && !why->len)
            buf_puts(why, "a checkpoint without its time");
    } else if (strcmp(type, "end") == 0) {
        rc = verify_end_line(st, o, why);
    } else {
        buf_appendf(why, "an unknown line type '%s'", type);
    }
    free(details);
    json_decref(o);
    return rc;
}

static int verify_file(FILE *f, struct verify_state *st, int64_t *line_no, struct buf *why)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        (*line_no)++;
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        rc = verify_line(st, line, why);
    }
    free(line);
    if (rc == 0 && ferror(f)) {
        buf_appendf(why, "cannot read it: %s", strerror(errno));
        rc = LB_EIO;
    }
    if (rc == 0 && !st->ended) {
        buf_puts(why, "the export has no signed end: it was cut off");
        rc = LB_EVERIFY;
    }
    return rc;
}

int cmd_audit_verify(struct cli *cli, const struct cli_args *a)
{
    const struct cli_command *cmd = cmd_find("audit", "verify");
    const char *path = a->pos[0], *key = cli_opt(a, "key");
    struct audit_key_list keys = {0};
    struct verify_state st = {0};
    struct buf why = BUF_INIT;
    int64_t line_no = 0, records = 0, cps = 0, chains = 0;
    int rc, code = CLI_EXIT_OK;
    FILE *f = NULL;

    if (!key == !cli_flag(a, "server"))
        return cli_usage_error(cmd, "give the keys with --key KEYFILE or --server (one of them)");
    if (key && (rc = keys_load(key, &keys)) != 0) {
        fprintf(stderr, "lockbox: %s: %s\n", key,
                rc == LB_EIO ? strerror(errno)
                             : "not a key file (the JSON of lockbox audit keys, or a public key "
                               "in hex per line)");
        audit_key_list_clear(&keys);
        return CLI_EXIT_USAGE;
    }
    if (!key && keys_fetch(cli, &keys, &code) != 0) {
        audit_key_list_clear(&keys);
        if (code == CLI_EXIT_OK)
            fprintf(stderr, "lockbox: the server's keys are malformed\n");
        return code ? code : CLI_EXIT_UNREACHABLE;
    }
    if (!(f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r"))) {
        fprintf(stderr, "lockbox: %s: %s\n", path, strerror(errno));
        audit_key_list_clear(&keys);
        return CLI_EXIT_USAGE;
    }
    if ((rc = audit_verify_new(&keys, &st.v)) == 0)
        rc = verify_file(f, &st, &line_no, &why);
    if (rc == 0) {
        audit_verify_counts(st.v, &records, &cps, &chains);
        if (!cli->quiet)
            printf("verified %lld records (%lld of them as links only) and %lld checkpoints in "
                   "%lld chains, and the export's end signed by key %s: the export is whole\n"
                   "it is an export of %s\n",
                   (long long)records, (long long)st.links, (long long)cps, (long long)chains,
                   st.end_key_id, st.scope ? st.scope : "?");
    } else if (rc == LB_EVERIFY) {
        fprintf(stderr, "lockbox: the export does not verify: line %lld: %s\n", (long long)line_no,
                buf_cstr(&why));
        code = CLI_EXIT_UNVERIFIED;
    } else {
        fprintf(stderr, "lockbox: %s: %s\n", path, why.len ? buf_cstr(&why) : "out of memory");
        code = CLI_EXIT_USAGE;
    }
    if (f != stdin)
        fclose(f);
    audit_verify_free(st.v);
    audit_key_list_clear(&keys);
    free(st.scope);
    buf_release(&why);
    return code;
}
