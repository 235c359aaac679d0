/* liblockbox: the v1 API over libcurl and jansson. The contract is include/lockbox/lockbox.h. */
#include "client/client_int.h"
#include "lockbox/lockbox.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* Answers above this are not the API's (the server's own bodies are far smaller). */
#define REPLY_MAX (64u << 20)
#define PROBLEM_MAX (64u << 10) /* a refusal's body */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int lockbox_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_rc == CURLE_OK ? LOCKBOX_OK : LOCKBOX_ENOMEM;
}

const char *lockbox_strerror(int err)
{
    switch (err) {
    case LOCKBOX_OK:
        return "success";
    case LOCKBOX_EINVAL:
        return "invalid argument";
    case LOCKBOX_ENOMEM:
        return "out of memory";
    case LOCKBOX_EUNREACHABLE:
        return "cannot reach the server";
    case LOCKBOX_EPROTOCOL:
        return "the server's answer is not the Lockbox API's";
    case LOCKBOX_EREFUSED:
        return "the server refused the call";
    case LOCKBOX_EPLAINHTTP:
        return "refusing plain http:// to a host that is not loopback (the token would cross "
               "the network in clear): use https://, or set allow_plain_http";
    default:
        return "unknown error";
    }
}

void lockbox_reply_clear(struct lockbox_reply *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->code);
    free(r->detail);
    memset(r, 0, sizeof(*r));
}

/* Replies hand out strings the caller frees with free(3): lb_strdup's, since lb_free is free. */
static char *dup_plain(const char *s)
{
    return lb_strdup(s);
}

/*
 * JSON through jansson. A request is written with json_dumpb into a buffer of ours sized by a
 * first pass, so no output allocation happens inside jansson; an answer is parsed with
 * json_loads, whose out-of-memory error is told apart from a malformed answer.
 */

/* j as compact JSON text in *out (lb_free); LOCKBOX_ENOMEM when it cannot be written. */
static int json_text(const json_t *j, char **out)
{
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    char *text;

    *out = NULL;
    if (n == 0 || !(text = lb_malloc(n + 1)))
        return LOCKBOX_ENOMEM;
    if (json_dumpb(j, text, n, JSON_COMPACT) != n) {
        lb_free(text);
        return LOCKBOX_ENOMEM;
    }
    text[n] = '\0';
    *out = text;
    return LOCKBOX_OK;
}

/* Parses text (flags as json_loads'); LOCKBOX_ENOMEM when jansson ran out of memory,
 * LOCKBOX_EPROTOCOL when text is not JSON. */
static int json_parse(const char *text, size_t flags, json_t **out)
{
    json_error_t e;

    *out = json_loads(text ? text : "", flags, &e);
    if (*out)
        return LOCKBOX_OK;
    return json_error_code(&e) == json_error_out_of_memory ? LOCKBOX_ENOMEM : LOCKBOX_EPROTOCOL;
}

/* A new copy (free(3)) of obj's string member key in *out, NULL when absent or no string. */
static int member_str(json_t *obj, const char *key, char **out)
{
    const char *v = json_string_value(json_object_get(obj, key));

    *out = NULL;
    if (v && !(*out = dup_plain(v)))
        return LOCKBOX_ENOMEM;
    return LOCKBOX_OK;
}

static int set_str(char **field, const char *value)
{
    char *copy = NULL;

    if (value && !(copy = lb_strdup(value)))
        return LOCKBOX_ENOMEM;
    lb_free(*field);
    *field = copy;
    return LOCKBOX_OK;
}

/* true when host (curl's URL host: an IPv6 address in brackets) names this machine: localhost,
 * 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. No name is resolved. "localhost." is not one: libcurl
 * answers "localhost" itself, but asks the resolver, thus DNS, for the dotted name. */
static bool host_is_loopback(const char *host)
{
    unsigned char a[sizeof(struct in6_addr)];
    char v6[INET6_ADDRSTRLEN];
    size_t n = strlen(host);

    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (n < 3 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= sizeof(v6))
        return false;
    memcpy(v6, host + 1, n - 2);
    v6[n - 2] = '\0';
    if (inet_pton(AF_INET6, v6, a) != 1)
        return false;
    return IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a) ||
           (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a) && a[12] == 127);
}

/* LOCKBOX_EPLAINHTTP for an http:// url whose host is not loopback; LOCKBOX_EINVAL for a URL
 * libcurl cannot read. */
static int check_plain_http(const char *url)
{
    CURLU *u = NULL;
    CURLUcode uc;
    char *host = NULL;
    int rc;

    if (strncmp(url, "http://", 7) != 0)
        return LOCKBOX_OK;
    if (!(u = curl_url()))
        return LOCKBOX_ENOMEM;
    uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    rc = uc == CURLUE_OUT_OF_MEMORY ? LOCKBOX_ENOMEM
         : uc != CURLUE_OK          ? LOCKBOX_EINVAL
         : host_is_loopback(host)   ? LOCKBOX_OK
                                    : LOCKBOX_EPLAINHTTP;
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int lockbox_new(const struct lockbox_options *opt, struct lockbox **out)
{
    struct lockbox *lb = NULL;
    size_t n;
    int rc;

    *out = NULL;
    if (!opt || !opt->url ||
        (strncmp(opt->url, "http://", 7) != 0 && strncmp(opt->url, "https://", 8) != 0))
        return LOCKBOX_EINVAL;
    if ((rc = lockbox_global_init()) != 0)
        return rc;
    /* before anything is sent: a token must not leave this host in clear by accident */
    if (!opt->allow_plain_http && (rc = check_plain_http(opt->url)) != 0)
        return rc;
    if (!(lb = lb_calloc(1, sizeof(*lb))))
        return LOCKBOX_ENOMEM;
    if (pthread_mutex_init(&lb->lock, NULL) != 0) {
        lb_free(lb);
        return LOCKBOX_ENOMEM;
    }
    lb->insecure = opt->insecure_skip_verify;
    lb->connect_timeout_ms = opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : 10000;
    lb->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 30000;
    rc = LOCKBOX_ENOMEM;
    if (!(lb->url = lb_strdup(opt->url)) || set_str(&lb->token, opt->token) ||
        set_str(&lb->ca_file, opt->ca_file) || !(lb->curl = curl_easy_init()))
        goto out;
    n = strlen(lb->url);
    while (n > 0 && lb->url[n - 1] == '/')
        lb->url[--n] = '\0';
    *out = lb;
    return LOCKBOX_OK;
out:
    lockbox_free(lb);
    return rc;
}

void lockbox_free(struct lockbox *lb)
{
    if (!lb)
        return;
    if (lb->curl)
        curl_easy_cleanup(lb->curl);
    if (lb->token) {
        memset(lb->token, 0, strlen(lb->token));
        lb_free(lb->token);
    }
    lb_free(lb->url);
    lb_free(lb->ca_file);
    pthread_mutex_destroy(&lb->lock);
    lb_free(lb);
}

/* Replaces *field by a copy of value, wiping the old secret; on failure *field is untouched. */
static int set_secret(char **field, const char *value)
{
    char *copy = NULL;

    if (value && !(copy = lb_strdup(value)))
        return LOCKBOX_ENOMEM;
    if (*field)
        memset(*field, 0, strlen(*field));
    lb_free(*field);
    *field = copy;
    return LOCKBOX_OK;
}

int lockbox_set_token(struct lockbox *lb, const char *token)
{
    int rc;

    pthread_mutex_lock(&lb->lock);
    rc = set_secret(&lb->token, token);
    pthread_mutex_unlock(&lb->lock);
    return rc;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct buf *b = ctx;

    buf_append(b, data, size * nmemb);
    return buf_ok(b) ? size * nmemb : 0;
}

int client_take_problem(struct lockbox_reply *reply, const char *body)
{
    char *code = NULL, *detail = NULL;
    json_t *j = NULL;
    int rc = json_parse(body, 0, &j);

    if (rc == LOCKBOX_ENOMEM || (rc == 0 && ((rc = member_str(j, "code", &code)) != 0 ||
                                             (rc = member_str(j, "detail", &detail)) != 0)))
        goto out;
    rc = code ? LOCKBOX_EREFUSED : LOCKBOX_EPROTOCOL;
    if (!code && !(code = dup_plain("unknown")))
        rc = LOCKBOX_ENOMEM;
    if (!detail && !(detail = dup_plain("the server answered without a problem body")))
        rc = LOCKBOX_ENOMEM;
    if (rc != LOCKBOX_ENOMEM && reply) {
        reply->code = code;
        reply->detail = detail;
        code = detail = NULL;
    }
out:
    json_decref(j);
    free(code);
    free(detail);
    return rc;
}

const char *client_curl_error(struct lockbox *lb, CURLcode cc)
{
    return lb->curl_error[0] ? lb->curl_error : curl_easy_strerror(cc);
}

static void reply_unreachable(struct lockbox_reply *reply, const char *what)
{
    if (reply)
        reply->detail = dup_plain(what);
}

/* Sets up the exchange. Options that copy a string (URL, method, CA file, ...) can fail, and
 * a dropped one would send another request than asked (GET for DELETE, the system's CAs), so
 * the first failure is returned. */
static CURLcode apply_options(struct lockbox *lb, struct curl_slist *headers, struct buf *body,
                              const char *method, const char *url, const char *payload)
{
    CURL *c = lb->curl;
    CURLcode cc = CURLE_OK;

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    curl_easy_reset(c);
    lb->curl_error[0] = '\0';
    SET(CURLOPT_ERRORBUFFER, lb->curl_error);
    SET(CURLOPT_URL, url);
    SET(CURLOPT_CUSTOMREQUEST, method);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, body);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    /* straight to the URL: no proxy, whatever http_proxy & co. say (a PAM module runs in su's
     * process with its caller's environment, and the token must not go elsewhere) */
    SET(CURLOPT_PROXY, "");
    /* TLS 1.2 at least, whatever the system's OpenSSL policy allows (lockboxd offers no less) */
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_CONNECTTIMEOUT_MS, lb->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, lb->timeout_ms);
    SET(CURLOPT_SSL_VERIFYPEER, lb->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, lb->insecure ? 0L : 2L);
    SET(CURLOPT_USERAGENT, "liblockbox/" LOCKBOX_VERSION);
    if (lb->ca_file)
        SET(CURLOPT_CAINFO, lb->ca_file);
    if (payload) {
        SET(CURLOPT_POSTFIELDS, payload);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
    }
#undef SET
    return cc;
}

static struct curl_slist *build_headers(const struct lockbox *lb, bool has_body)
{
    struct curl_slist *h = NULL, *next;
    struct buf auth = BUF_INIT;

    if (!(h = curl_slist_append(NULL, "Accept: application/json")))
        return NULL;
    if (has_body) {
        if (!(next = curl_slist_append(h, "Content-Type: application/json")))
            goto fail;
        h = next;
    }
    if (lb->token) {
        buf_appendf(&auth, "Authorization: Bearer %s", lb->token);
        next = buf_ok(&auth) ? curl_slist_append(h, buf_cstr(&auth)) : NULL;
        if (auth.data)
            memset(auth.data, 0, auth.len);
        buf_release(&auth);
        if (!next)
            goto fail;
        h = next;
    }
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

/* One exchange: method on base URL + path; payload is JSON text or NULL. */
static int call(struct lockbox *lb, const char *method, const char *path, const char *payload,
                struct lockbox_reply *reply)
{
    struct curl_slist *headers = NULL;
    struct buf url = BUF_INIT, body = BUF_INIT;
    CURLcode cc;
    long status = 0;
    int rc = LOCKBOX_ENOMEM;

    buf_init(&body, REPLY_MAX);
    pthread_mutex_lock(&lb->lock);
    buf_appendf(&url, "%s%s", lb->url, path);
    if (!buf_ok(&url) || !(headers = build_headers(lb, payload != NULL)))
        goto out;
    cc = apply_options(lb, headers, &body, method, buf_cstr(&url), payload);
    if (cc == CURLE_OK)
        cc = curl_easy_perform(lb->curl);
    if (cc == CURLE_WRITE_ERROR && !buf_ok(&body)) {
        rc = body.len >= REPLY_MAX ? LOCKBOX_EPROTOCOL : LOCKBOX_ENOMEM;
        goto out;
    }
    if (cc == CURLE_OUT_OF_MEMORY) {
        rc = LOCKBOX_ENOMEM;
        goto out;
    }
    if (cc != CURLE_OK) {
        reply_unreachable(reply, client_curl_error(lb, cc));
        rc = LOCKBOX_EUNREACHABLE;
        goto out;
    }
    curl_easy_getinfo(lb->curl, CURLINFO_RESPONSE_CODE, &status);
    if (reply)
        reply->status = status;
    if (status >= 400) {
        rc = client_take_problem(reply, buf_cstr(&body));
    } else if (status < 200 || status >= 300) {
        rc = LOCKBOX_EPROTOCOL;
    } else {
        rc = LOCKBOX_OK;
        if (reply && body.len && !(reply->body = dup_plain(buf_cstr(&body))))
            rc = LOCKBOX_ENOMEM;
    }
out:
    pthread_mutex_unlock(&lb->lock);
    curl_slist_free_all(headers);
    buf_release(&url);
    buf_release(&body);
    return rc;
}

/* Sends j (consumed) as the body; a NULL j is an allocation failure of its builder. */
static int call_json(struct lockbox *lb, const char *method, const char *path, json_t *j,
                     struct lockbox_reply *reply)
{
    char *text = NULL;
    int rc;

    if (!j)
        return LOCKBOX_ENOMEM;
    rc = json_text(j, &text);
    json_decref(j);
    if (rc == 0)
        rc = call(lb, method, path, text, reply);
    lb_free(text);
    return rc;
}

/* Appends one path segment, percent-encoded, so an id can never change the route. */
static void path_segment(struct buf *b, const char *seg)
{
    char *esc = curl_easy_escape(NULL, seg, 0);

    if (!esc) {
        b->failed = true;
        return;
    }
    buf_appendf(b, "/%s", esc);
    curl_free(esc);
}

static void query_param(struct buf *b, const char *name, const char *value)
{
    char *esc;

    if (!value || !*value)
        return;
    if (!(esc = curl_easy_escape(NULL, value, 0))) {
        b->failed = true;
        return;
    }
    buf_appendf(b, "%c%s=%s", strchr(buf_cstr(b), '?') ? '&' : '?', name, esc);
    curl_free(esc);
}

static bool is_set(const char *s)
{
    return s && *s;
}

/* Builds "/api/v1/<a>/<seg1>/<b>/<seg2>..." from a NULL-terminated list of pairs. */
static int api_path(struct buf *b, const char *first, ...)
{
    va_list ap;
    const char *lit = first, *seg;

    buf_puts(b, "/api/v1");
    va_start(ap, first);
    while (lit) {
        buf_appendf(b, "/%s", lit);
        seg = va_arg(ap, const char *);
        if (!seg)
            break;
        if (!*seg) {
            va_end(ap);
            return LOCKBOX_EINVAL;
        }
        path_segment(b, seg);
        lit = va_arg(ap, const char *);
    }
    va_end(ap);
    return buf_ok(b) ? LOCKBOX_OK : LOCKBOX_ENOMEM;
}

/* One call on path (released here). GET and DELETE send no body; any other method sends body
 * (consumed), whose NULL means its builder ran out of memory. */
static int simple(struct lockbox *lb, const char *method, struct buf *path, json_t *body,
                  struct lockbox_reply *reply)
{
    bool bodiless = strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0;
    int rc;

    if (!buf_ok(path) || (!bodiless && !body))
        rc = LOCKBOX_ENOMEM;
    else if (bodiless)
        rc = call(lb, method, buf_cstr(path), NULL, reply);
    else
        rc = call_json(lb, method, buf_cstr(path), json_incref(body), reply);
    json_decref(body);
    buf_release(path);
    return rc;
}

/* ---- session ---- */

int lockbox_login(struct lockbox *lb, const char *username, const char *password,
                  const char *totp_code, char **token, struct lockbox_reply *reply)
{
    struct lockbox_reply own = {0};
    struct lockbox_reply *r = reply ? reply : &own;
    json_t *body, *answer = NULL;
    int rc;

    *token = NULL;
    if (!is_set(username) || !password)
        return LOCKBOX_EINVAL;
    body = json_pack("{s:s, s:s}", "username", username, "password", password);
    if (body && is_set(totp_code) && json_object_set_new(body, "totp_code", json_string(totp_code)))
        body = (json_decref(body), NULL);
    if ((rc = call_json(lb, "POST", "/api/v1/login", body, r)) != 0)
        goto out;
    if ((rc = json_parse(r->body, 0, &answer)) == 0 &&
        (rc = member_str(answer, "token", token)) == 0 && !*token)
        rc = LOCKBOX_EPROTOCOL;
    if (!rc && (rc = lockbox_set_token(lb, *token)) != 0) {
        free(*token);
        *token = NULL;
    }
out:
    if (rc && rc != LOCKBOX_EREFUSED) {
        /* the body is the answer's on success only */
        free(r->body);
        r->body = NULL;
    }
    json_decref(answer);
    lockbox_reply_clear(&own);
    return rc;
}

int lockbox_me(struct lockbox *lb, struct lockbox_reply *reply)
{
    return call(lb, "GET", "/api/v1/me", NULL, reply);
}

int lockbox_logout(struct lockbox *lb, struct lockbox_reply *reply)
{
    return call_json(lb, "POST", "/api/v1/logout", json_object(), reply);
}

int lockbox_catalog(struct lockbox *lb, struct lockbox_reply *reply)
{
    return call(lb, "GET", "/api/v1/catalog", NULL, reply);
}

/* ---- users, tenants, roles, settings ---- */

int lockbox_user_create(struct lockbox *lb, const struct lockbox_user_spec *spec,
                        struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;
    json_t *body, *roles;
    int rc;

    if (!spec || !is_set(spec->username) || !spec->password || !is_set(spec->email))
        return LOCKBOX_EINVAL;
    /* The API takes roles and isolated_identity for provider users only: refuse, not drop. */
    if (spec->tenant_id && (spec->isolated_identity || spec->role_count))
        return LOCKBOX_EINVAL;
    if ((rc = spec->tenant_id ? api_path(&path, "tenants", spec->tenant_id, "users", NULL)
                              : api_path(&path, "users", NULL)) != 0) {
        buf_release(&path);
        return rc;
    }
    body = json_pack("{s:s, s:s, s:s, s:b}", "username", spec->username, "password", spec->password,
                     "email", spec->email, "totp", spec->totp);
    if (body && is_set(spec->display_name) &&
        json_object_set_new(body, "display_name", json_string(spec->display_name)))
        body = (json_decref(body), NULL);
    if (body && !spec->tenant_id) {
        roles = json_array();
        for (size_t i = 0; roles && i < spec->role_count; i++)
            if (json_array_append_new(roles, json_string(spec->roles[i])))
                roles = (json_decref(roles), NULL);
        if (!roles || json_object_set_new(body, "roles", roles) ||
            json_object_set_new(body, "isolated_identity", json_boolean(spec->isolated_identity)))
            body = (json_decref(body), NULL);
    }
    return simple(lb, "POST", &path, body, reply);
}

/* A new JSON array of count strings (each set), or NULL when out of memory. */
static json_t *string_array(const char *const *v, size_t count)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < count; i++)
        if (json_array_append_new(a, json_string(v[i])) != 0)
            a = (json_decref(a), NULL);
    return a;
}

/* true when v holds count set strings (v may be NULL only when count is 0). */
static bool all_set(const char *const *v, size_t count)
{
    if (count && !v)
        return false;
    for (size_t i = 0; i < count; i++)
        if (!is_set(v[i]))
            return false;
    return true;
}

int lockbox_tenant_create(struct lockbox *lb, const char *name, const char *plan,
                          const char *admin_username, const char *admin_password,
                          const char *admin_email, struct lockbox_reply *reply)
{
    return lockbox_tenant_create_scoped(lb, name, plan, NULL, 0, admin_username, admin_password,
                                        admin_email, reply);
}

int lockbox_tenant_create_scoped(struct lockbox *lb, const char *name, const char *plan,
                                 const char *const *resource_scopes, size_t scope_count,
                                 const char *admin_username, const char *admin_password,
                                 const char *admin_email, struct lockbox_reply *reply)
{
    if (!is_set(name) || !is_set(plan) || !is_set(admin_username) || !admin_password ||
        !is_set(admin_email) || !all_set(resource_scopes, scope_count))
        return LOCKBOX_EINVAL;
    return call_json(lb, "POST", "/api/v1/tenants",
                     json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:s}}", "name", name, "plan", plan,
                               "resource_scopes", string_array(resource_scopes, scope_count),
                               "admin", "username", admin_username, "password", admin_password,
                               "email", admin_email),
                     reply);
}

int lockbox_tenant_list(struct lockbox *lb, struct lockbox_reply *reply)
{
    return call(lb, "GET", "/api/v1/tenants", NULL, reply);
}

/* GET or DELETE on /api/v1/<a>/<id>[/<b>[/<id2>]]; an empty or NULL id is LOCKBOX_EINVAL. */
static int on_object(struct lockbox *lb, const char *method, const char *a, const char *id,
                     const char *b, const char *id2, json_t *body, struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;
    int rc;

    if (!is_set(id) || (id2 && !*id2)) {
        json_decref(body);
        return LOCKBOX_EINVAL;
    }
    rc = api_path(&path, a, id, b, id2, NULL);
    if (rc) {
        json_decref(body);
        buf_release(&path);
        return rc;
    }
    return simple(lb, method, &path, body, reply);
}

int lockbox_tenant_get(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply)
{
    return on_object(lb, "GET", "tenants", tenant_id, NULL, NULL, NULL, reply);
}

int lockbox_tenant_scopes_change(struct lockbox *lb, const char *tenant_id, const char *const *add,
                                 size_t add_count, const char *const *remove, size_t remove_count,
                                 struct lockbox_reply *reply)
{
    if (add_count + remove_count == 0 || !all_set(add, add_count) || !all_set(remove, remove_count))
        return LOCKBOX_EINVAL;
    return on_object(lb, "PATCH", "tenants", tenant_id, NULL, NULL,
                     json_pack("{s:o, s:o}", "add_resource_scopes", string_array(add, add_count),
                               "remove_resource_scopes", string_array(remove, remove_count)),
                     reply);
}

int lockbox_user_list(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;

    if (tenant_id)
        return on_object(lb, "GET", "tenants", tenant_id, "users", NULL, NULL, reply);
    return api_path(&path, "users", NULL) ? (buf_release(&path), LOCKBOX_ENOMEM)
                                          : simple(lb, "GET", &path, NULL, reply);
}

int lockbox_token_create(struct lockbox *lb, const char *user_id, const char *name,
                         int64_t expires_in_seconds, struct lockbox_reply *reply)
{
    json_t *body;

    if (!is_set(name) || expires_in_seconds < 0)
        return LOCKBOX_EINVAL;
    body = json_pack("{s:s}", "name", name);
    if (body && expires_in_seconds &&
        json_object_set_new(body, "expires_in_seconds", json_integer(expires_in_seconds)))
        body = (json_decref(body), NULL);
    return on_object(lb, "POST", "users", user_id, "tokens", NULL, body, reply);
}

int lockbox_token_list(struct lockbox *lb, const char *user_id, struct lockbox_reply *reply)
{
    return on_object(lb, "GET", "users", user_id, "tokens", NULL, NULL, reply);
}

int lockbox_token_revoke(struct lockbox *lb, const char *user_id, const char *token_id,
                         struct lockbox_reply *reply)
{
    if (!is_set(token_id))
        return LOCKBOX_EINVAL;
    return on_object(lb, "DELETE", "users", user_id, "tokens", token_id, NULL, reply);
}

int lockbox_settings_get(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply)
{
    return on_object(lb, "GET", "tenants", tenant_id, "settings", NULL, NULL, reply);
}

int lockbox_settings_update(struct lockbox *lb, const char *tenant_id, const char *patch_json,
                            struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;
    json_t *patch = NULL;
    int rc;

    /* sent as the caller wrote it, once it is known to be an object */
    if (!patch_json || !is_set(tenant_id))
        return LOCKBOX_EINVAL;
    rc = json_parse(patch_json, 0, &patch);
    json_decref(patch);
    if (rc)
        return rc == LOCKBOX_ENOMEM ? rc : LOCKBOX_EINVAL;
    if ((rc = api_path(&path, "tenants", tenant_id, "settings", NULL)) == 0)
        rc = call(lb, "PATCH", buf_cstr(&path), patch_json, reply);
    buf_release(&path);
    return rc;
}

int lockbox_role_assign(struct lockbox *lb, const char *tenant_id, const char *user_id,
                        const char *role, const char *scope, struct lockbox_reply *reply)
{
    if (!is_set(user_id) || !is_set(role))
        return LOCKBOX_EINVAL;
    return on_object(lb, "POST", "tenants", tenant_id, "role-assignments", NULL,
                     json_pack("{s:s, s:s, s:s}", "user_id", user_id, "role", role, "scope",
                               is_set(scope) ? scope : "/"),
                     reply);
}

int lockbox_role_list(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply)
{
    return on_object(lb, "GET", "tenants", tenant_id, "role-assignments", NULL, NULL, reply);
}

int lockbox_role_remove(struct lockbox *lb, const char *tenant_id, const char *assignment_id,
                        struct lockbox_reply *reply)
{
    if (!is_set(assignment_id))
        return LOCKBOX_EINVAL;
    return on_object(lb, "DELETE", "tenants", tenant_id, "role-assignments", assignment_id, NULL,
                     reply);
}

/* ---- webhooks ---- */

/* "/api/v1/tenants/<t>/webhooks[/<id>]", or "/api/v1/webhooks[/<id>]" for tenant_id NULL. */
static int webhook_path(struct buf *path, const char *tenant_id, const char *id)
{
    if (tenant_id && !*tenant_id)
        return LOCKBOX_EINVAL;
    if (tenant_id)
        return api_path(path, "tenants", tenant_id, "webhooks", id, NULL);
    return api_path(path, "webhooks", id, NULL);
}

int lockbox_webhook_add(struct lockbox *lb, const char *tenant_id, const char *url,
                        const char *const *events, size_t event_count, struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;
    json_t *body, *ev;
    int rc;

    if (!is_set(url) || event_count == 0 || !all_set(events, event_count))
        return LOCKBOX_EINVAL;
    if ((rc = webhook_path(&path, tenant_id, NULL)) != 0) {
        buf_release(&path);
        return rc;
    }
    ev = string_array(events, event_count);
    body = ev ? json_pack("{s:s, s:o}", "url", url, "events", ev) : NULL;
    return simple(lb, "POST", &path, body, reply);
}

int lockbox_webhook_list(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;
    int rc = webhook_path(&path, tenant_id, NULL);

    if (rc) {
        buf_release(&path);
        return rc;
    }
    return simple(lb, "GET", &path, NULL, reply);
}

int lockbox_webhook_remove(struct lockbox *lb, const char *tenant_id, const char *webhook_id,
                           struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;
    int rc;

    if (!is_set(webhook_id))
        return LOCKBOX_EINVAL;
    if ((rc = webhook_path(&path, tenant_id, webhook_id)) != 0) {
        buf_release(&path);
        return rc;
    }
    return simple(lb, "DELETE", &path, NULL, reply);
}

int lockbox_request_notifications(struct lockbox *lb, const char *id, struct lockbox_reply *reply)
{
    return on_object(lb, "GET", "requests", id, "notifications", NULL, NULL, reply);
}

int lockbox_request_report(struct lockbox *lb, const char *id, struct lockbox_reply *reply)
{
    return on_object(lb, "GET", "requests", id, "report", NULL, NULL, reply);
}

/* ---- tickets ---- */

int lockbox_ticket_create(struct lockbox *lb, const char *tenant_id, const char *title,
                          const char *description, const char *severity,
                          struct lockbox_reply *reply)
{
    json_t *body;

    if (!is_set(title) || !description)
        return LOCKBOX_EINVAL;
    body = json_pack("{s:s, s:s}", "title", title, "description", description);
    if (body && is_set(severity) && json_object_set_new(body, "severity", json_string(severity)))
        body = (json_decref(body), NULL);
    if (!body)
        return LOCKBOX_ENOMEM;
    return on_object(lb, "POST", "tenants", tenant_id, "tickets", NULL, body, reply);
}

int lockbox_ticket_get(struct lockbox *lb, const char *tenant_id, const char *ticket_id,
                       struct lockbox_reply *reply)
{
    if (!is_set(ticket_id))
        return LOCKBOX_EINVAL;
    return on_object(lb, "GET", "tenants", tenant_id, "tickets", ticket_id, NULL, reply);
}

int lockbox_ticket_list(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply)
{
    return on_object(lb, "GET", "tenants", tenant_id, "tickets", NULL, NULL, reply);
}

int lockbox_ticket_comment(struct lockbox *lb, const char *tenant_id, const char *ticket_id,
                           const char *text, struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;
    int rc;

    if (!is_set(tenant_id) || !is_set(ticket_id) || !text)
        return LOCKBOX_EINVAL;
    if ((rc = api_path(&path, "tenants", tenant_id, "tickets", ticket_id, "comments", NULL)) != 0) {
        buf_release(&path);
        return rc;
    }
    return simple(lb, "POST", &path, json_pack("{s:s}", "text", text), reply);
}

/* ---- access requests ---- */

int lockbox_request_create(struct lockbox *lb, const struct lockbox_request_spec *spec,
                           struct lockbox_reply *reply)
{
    json_t *body, *ids;

    if (!spec || !is_set(spec->tenant_id) || !is_set(spec->ticket_id) ||
        !is_set(spec->resource_type) || !is_set(spec->access_level) || !spec->justification ||
        spec->resource_count == 0 || spec->duration_seconds < 0)
        return LOCKBOX_EINVAL;
    ids = string_array(spec->resource_ids, spec->resource_count);
    body = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "tenant_id", spec->tenant_id, "ticket_id",
                     spec->ticket_id, "resource_type", spec->resource_type, "resource_ids", ids,
                     "access_level", spec->access_level, "justification", spec->justification);
    if (body && spec->duration_seconds > 0 &&
        json_object_set_new(body, "duration_seconds", json_integer(spec->duration_seconds)))
        body = (json_decref(body), NULL);
    return call_json(lb, "POST", "/api/v1/requests", body, reply);
}

static void limit_param(struct buf *b, int limit)
{
    char n[16];

    if (limit > 0) {
        snprintf(n, sizeof(n), "%d", limit);
        query_param(b, "limit", n);
    }
}

int lockbox_request_list(struct lockbox *lb, const struct lockbox_request_filter *f,
                         struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;

    buf_puts(&path, "/api/v1/requests");
    if (f) {
        query_param(&path, "tenant_id", f->tenant_id);
        query_param(&path, "status", f->status);
        query_param(&path, "requester", f->requester);
        query_param(&path, "from", f->from);
        query_param(&path, "to", f->to);
        query_param(&path, "q", f->text);
        limit_param(&path, f->limit);
        query_param(&path, "page_token", f->page_token);
    }
    return simple(lb, "GET", &path, NULL, reply);
}

int lockbox_request_get(struct lockbox *lb, const char *id, struct lockbox_reply *reply)
{
    return on_object(lb, "GET", "requests", id, NULL, NULL, NULL, reply);
}

static json_t *reason_body(const char *decision, const char *reason)
{
    json_t *body = decision ? json_pack("{s:s}", "decision", decision) : json_object();

    if (body && is_set(reason) && json_object_set_new(body, "reason", json_string(reason)))
        body = (json_decref(body), NULL);
    return body;
}

static int request_action(struct lockbox *lb, const char *id, const char *action, json_t *body,
                          struct lockbox_reply *reply)
{
    if (!body)
        return LOCKBOX_ENOMEM;
    return on_object(lb, "POST", "requests", id, action, NULL, body, reply);
}

int lockbox_request_review(struct lockbox *lb, const char *id, bool approve, const char *reason,
                           struct lockbox_reply *reply)
{
    return request_action(lb, id, "review", reason_body(approve ? "approve" : "deny", reason),
                          reply);
}

int lockbox_request_decide(struct lockbox *lb, const char *id, bool approve, const char *reason,
                           struct lockbox_reply *reply)
{
    return request_action(lb, id, "decision", reason_body(approve ? "approve" : "deny", reason),
                          reply);
}

int lockbox_request_cancel(struct lockbox *lb, const char *id, const char *reason,
                           struct lockbox_reply *reply)
{
    return request_action(lb, id, "cancel", reason_body(NULL, reason), reply);
}

int lockbox_request_revoke(struct lockbox *lb, const char *id, const char *reason,
                           struct lockbox_reply *reply)
{
    return request_action(lb, id, "revoke", reason_body(NULL, reason), reply);
}

/* ---- enforcement ---- */

static int read_check(const char *text, struct lockbox_check_result *res)
{
    json_t *j = NULL, *allowed;
    const char *rid, *ends;
    int rc = json_parse(text, 0, &j);

    if (rc)
        goto out;
    allowed = json_object_get(j, "allowed");
    rid = json_string_value(json_object_get(j, "request_id"));
    ends = json_string_value(json_object_get(j, "ends_at"));
    rc = LOCKBOX_EPROTOCOL;
    if (!json_is_boolean(allowed) || (rid && strlen(rid) >= sizeof(res->request_id)) ||
        (ends && time_parse_rfc3339(ends, &res->ends_at) != 0))
        goto out;
    res->allowed = json_is_true(allowed);
    if (rid)
        memcpy(res->request_id, rid, strlen(rid) + 1);
    rc = LOCKBOX_OK;
out:
    json_decref(j);
    if (rc)
        memset(res, 0, sizeof(*res));
    return rc;
}

int lockbox_check(struct lockbox *lb, const char *operator_name, const char *resource_id,
                  const char *access_level, struct lockbox_check_result *result,
                  struct lockbox_reply *reply)
{
    return lockbox_check_at(lb, NULL, operator_name, resource_id, access_level, result, reply);
}

int lockbox_check_at(struct lockbox *lb, const char *door, const char *operator_name,
                     const char *resource_id, const char *access_level,
                     struct lockbox_check_result *result, struct lockbox_reply *reply)
{
    struct lockbox_reply own = {0};
    struct lockbox_reply *r = reply ? reply : &own;
    json_t *body;
    int rc;

    if (result)
        memset(result, 0, sizeof(*result));
    if (!is_set(operator_name) || !is_set(resource_id) || !is_set(access_level) || !result ||
        (door && !*door))
        return LOCKBOX_EINVAL;
    body = json_pack("{s:s, s:s, s:s}", "operator", operator_name, "resource_id", resource_id,
                     "access_level", access_level);
    if (body && door && json_object_set_new(body, "door", json_string(door)))
        body = (json_decref(body), NULL);
    rc = call_json(lb, "POST", "/api/v1/access/check", body, r);
    if (!rc && (rc = read_check(r->body, result)) != 0) {
        /* the body is the answer's on success only */
        free(r->body);
        r->body = NULL;
    }
    lockbox_reply_clear(&own);
    return rc;
}

int lockbox_activity_record(struct lockbox *lb, const char *request_id, const char *activity,
                            const char *target, const char *details_json,
                            struct lockbox_reply *reply)
{
    json_t *body, *details = NULL;
    int rc;

    if (!is_set(request_id) || !is_set(activity))
        return LOCKBOX_EINVAL;
    if (details_json && (rc = json_parse(details_json, JSON_DECODE_ANY, &details)) != 0)
        return rc == LOCKBOX_ENOMEM ? rc : LOCKBOX_EINVAL;
    body = json_pack("{s:s}", "activity", activity);
    if (body && is_set(target) && json_object_set_new(body, "target", json_string(target)))
        body = (json_decref(body), NULL);
    if (body && details && json_object_set(body, "details", details))
        body = (json_decref(body), NULL);
    json_decref(details);
    if (!body)
        return LOCKBOX_ENOMEM;
    return on_object(lb, "POST", "requests", request_id, "activities", NULL, body, reply);
}

/* ---- audit ---- */

/* The query of an audit filter, after path. */
static void audit_query(struct buf *path, const struct lockbox_audit_filter *f)
{
    if (!f)
        return;
    query_param(path, "activity", f->activity);
    query_param(path, "actor", f->actor);
    query_param(path, "item", f->item);
    query_param(path, "tenant_id", f->tenant_id);
    query_param(path, "from", f->from);
    query_param(path, "to", f->to);
}

int lockbox_audit_search(struct lockbox *lb, const struct lockbox_audit_filter *f,
                         struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;

    buf_puts(&path, "/api/v1/audit");
    audit_query(&path, f);
    if (f) {
        limit_param(&path, f->limit);
        query_param(&path, "page_token", f->page_token);
    }
    return simple(lb, "GET", &path, NULL, reply);
}

int lockbox_audit_keys(struct lockbox *lb, struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;

    buf_puts(&path, "/api/v1/audit/keys");
    return simple(lb, "GET", &path, NULL, reply);
}

int lockbox_audit_status(struct lockbox *lb, struct lockbox_reply *reply)
{
    struct buf path = BUF_INIT;

    buf_puts(&path, "/api/v1/audit/status");
    return simple(lb, "GET", &path, NULL, reply);
}

/* A download's state: its body goes to the caller's sink on a success, to problem on a
 * refusal. */
struct download {
    CURL *curl;
    lockbox_data_fn *fn;
    void *ctx;
    long status;
    bool stopped;
    struct buf problem;
};

static size_t on_download(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct download *d = ctx;
    size_t n = size * nmemb;

    if (!d->status)
        curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &d->status);
    if (d->status < 200 || d->status >= 300) {
        buf_append(&d->problem, data, n);
        return buf_ok(&d->problem) ? n : 0;
    }
    if (d->fn(d->ctx, data, n) != 0) {
        d->stopped = true;
        return 0;
    }
    return n;
}

int lockbox_audit_export(struct lockbox *lb, const struct lockbox_audit_filter *f,
                         const char *profile, lockbox_data_fn *fn, void *ctx,
                         struct lockbox_reply *reply)
{
    struct download d = {.fn = fn, .ctx = ctx};
    struct curl_slist *headers = NULL;
    struct buf path = BUF_INIT, url = BUF_INIT;
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    int rc = LOCKBOX_ENOMEM;

    if (!fn)
        return LOCKBOX_EINVAL;
    buf_init(&d.problem, PROBLEM_MAX);
    buf_puts(&path, "/api/v1/audit/export");
    audit_query(&path, f);
    query_param(&path, "profile", profile);
    pthread_mutex_lock(&lb->lock);
    d.curl = lb->curl;
    buf_appendf(&url, "%s%s", lb->url, buf_cstr(&path));
    if (buf_ok(&url) && (headers = build_headers(lb, false)) != NULL)
        cc = apply_options(lb, headers, NULL, "GET", buf_cstr(&url), NULL);
    /* an export may take minutes: no bound on the whole call, only on a stall */
    if (cc == CURLE_OK &&
        (cc = curl_easy_setopt(lb->curl, CURLOPT_WRITEFUNCTION, on_download)) == CURLE_OK &&
        (cc = curl_easy_setopt(lb->curl, CURLOPT_WRITEDATA, &d)) == CURLE_OK &&
        (cc = curl_easy_setopt(lb->curl, CURLOPT_TIMEOUT_MS, 0L)) == CURLE_OK &&
        (cc = curl_easy_setopt(lb->curl, CURLOPT_LOW_SPEED_LIMIT, 1L)) == CURLE_OK &&
        (cc = curl_easy_setopt(lb->curl, CURLOPT_LOW_SPEED_TIME, (lb->timeout_ms + 999) / 1000)) ==
            CURLE_OK)
        cc = curl_easy_perform(lb->curl);
    if (!d.status) /* an answer without a body called no write */
        curl_easy_getinfo(lb->curl, CURLINFO_RESPONSE_CODE, &d.status);
    if (cc == CURLE_OUT_OF_MEMORY || (cc == CURLE_WRITE_ERROR && !d.stopped && !buf_ok(&d.problem)))
        rc = LOCKBOX_ENOMEM;
    else if (d.stopped)
        rc = LOCKBOX_OK; /* the caller stopped it */
    else if (cc != CURLE_OK)
        rc = LOCKBOX_EUNREACHABLE;
    else if (reply && (reply->status = d.status) >= 400)
        rc = client_take_problem(reply, buf_cstr(&d.problem));
    else
        rc = d.status >= 200 && d.status < 300 ? LOCKBOX_OK : LOCKBOX_EPROTOCOL;
    if (rc == LOCKBOX_EUNREACHABLE)
        reply_unreachable(reply, client_curl_error(lb, cc));
    pthread_mutex_unlock(&lb->lock);
    curl_slist_free_all(headers);
    buf_release(&url);
    buf_release(&path);
    buf_release(&d.problem);
    return rc;
}
