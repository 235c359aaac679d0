/*
 * The session files pam_lockbox registers for the host agent: their JSON (the format the agent
 * reads), the directory made and checked, the atomic write (mode 0600, no temp file left), the
 * read-back by close, and removal. Runs in a temp dir; the ownership checks need root.
 */
#include "pam/pam_session.h"
#include "util/mem.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define RID "4e6f02fe-3eed-436c-afc4-bcc9c94b5a42"
#define T0 1795000000 /* 2026-11-18T11:06:40Z */

static char root[64];

static const struct pam_session sample = {.request_id = RID,
                                          .user = "alice",
                                          .resource = "/subscriptions/s1/vms/web1",
                                          .level = "read",
                                          .service = "sshd",
                                          .host = "web1.example",
                                          .tty = "ssh",
                                          .rhost = "192.0.2.7",
                                          .pid = 4242,
                                          .sid = 4242,
                                          .opened_at = T0,
                                          .ends_at = T0 + 28800};

static void path_of(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", root, rel);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/test_pam_session.XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void need_root(void)
{
    if (geteuid() != 0)
        skip();
}

static void the_file_is_the_documented_object(void **state)
{
    char *text = NULL;

    (void)state;
    assert_int_equal(pam_session_json(&sample, &text), LB_OK);
    assert_string_equal(text, "{\"request_id\":\"" RID "\",\"user\":\"alice\","
                              "\"resource\":\"/subscriptions/s1/vms/web1\",\"level\":\"read\","
                              "\"pid\":4242,\"sid\":4242,\"tty\":\"ssh\",\"service\":\"sshd\","
                              "\"rhost\":\"192.0.2.7\",\"host\":\"web1.example\","
                              "\"opened_at\":\"2026-11-18T11:06:40Z\","
                              "\"ends_at\":\"2026-11-18T19:06:40Z\"}");
    lb_free(text);
}

static void details_and_absent_items(void **state)
{
    struct pam_session s = sample;
    char *text = NULL;

    (void)state;
    s.tty = NULL;
    s.rhost = NULL;
    s.user = "o\"dd";
    assert_int_equal(pam_session_details_json(&s, &text), LB_OK);
    assert_string_equal(text, "{\"host\":\"web1.example\",\"service\":\"sshd\",\"tty\":null,"
                              "\"rhost\":null,\"pid\":4242,\"user\":\"o\\\"dd\"}");
    lb_free(text);
    assert_int_equal(pam_session_json(&s, &text), LB_OK);
    assert_non_null(strstr(text, "\"tty\":null"));
    assert_non_null(strstr(text, "\"rhost\":null"));
    lb_free(text);
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode & 07777;
}

static void a_missing_directory_is_made_0700(void **state)
{
    char dir[128], parent[128];
    struct buf err = BUF_INIT;
    mode_t old = umask(0);

    (void)state;
    need_root();
    path_of(dir, sizeof(dir), "run/lockbox/sessions");
    path_of(parent, sizeof(parent), "run/lockbox");
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_OK);
    assert_int_equal(mode_of(dir), 0700);
    assert_int_equal(mode_of(parent), 0755);
    /* an existing good one is taken as it is */
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_OK);
    assert_int_equal(err.len, 0);
    umask(077);
    path_of(dir, sizeof(dir), "strict/sessions");
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_OK);
    assert_int_equal(mode_of(dir), 0700);
    umask(old);
    buf_release(&err);
}

static void a_directory_others_could_write_is_refused(void **state)
{
    char dir[128], file[128], link[128];
    struct buf err = BUF_INIT;

    (void)state;
    need_root();
    path_of(dir, sizeof(dir), "loose");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_EFORBIDDEN);
    assert_non_null(strstr(buf_cstr(&err), "not writable by group or others"));
    assert_int_equal(chmod(dir, 0770), 0);
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_EFORBIDDEN);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_OK);
    /* not root's */
    assert_int_equal(chown(dir, 65534, 65534), 0);
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_EFORBIDDEN);
    assert_int_equal(chown(dir, 0, 0), 0);
    /* a link to a good directory, and a file, are not the directory */
    path_of(link, sizeof(link), "link");
    assert_int_equal(symlink(dir, link), 0);
    assert_int_equal(pam_session_dir_prepare(link, &err), LB_EFORBIDDEN);
    path_of(file, sizeof(file), "file");
    fclose(fopen(file, "w"));
    assert_int_equal(pam_session_dir_prepare(file, &err), LB_EFORBIDDEN);
    assert_int_equal(pam_session_dir_prepare("relative/dir", &err), LB_EINVAL);
    buf_release(&err);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void register_read_back_and_remove(void **state)
{
    char dir[128], file[160], want[1024], got[1024] = {0}, id[40];
    struct pam_session s = sample;
    struct buf err = BUF_INIT;
    char *text = NULL;
    FILE *f;

    (void)state;
    need_root();
    path_of(dir, sizeof(dir), "sessions");
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_OK);
    assert_int_equal(pam_session_register(dir, &s, &err), LB_OK);
    snprintf(file, sizeof(file), "%s/4242.json", dir);
    assert_int_equal(mode_of(file), 0600);
    assert_int_equal(count_entries(dir), 1); /* no temp file left */
    assert_int_equal(pam_session_json(&s, &text), LB_OK);
    snprintf(want, sizeof(want), "%s\n", text);
    lb_free(text);
    assert_non_null(f = fopen(file, "r"));
    assert_true(fread(got, 1, sizeof(got) - 1, f) > 0);
    fclose(f);
    assert_string_equal(got, want);

    assert_int_equal(pam_session_request_id(dir, 4242, id, sizeof(id), &err), LB_OK);
    assert_string_equal(id, RID);
    assert_int_equal(pam_session_request_id(dir, 4242, id, 10, &err), LB_EINVAL);

    /* a second session of the same process replaces the file whole */
    s.request_id = "another";
    assert_int_equal(pam_session_register(dir, &s, &err), LB_OK);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(pam_session_request_id(dir, 4242, id, sizeof(id), &err), LB_OK);
    assert_string_equal(id, "another");

    assert_int_equal(pam_session_unregister(dir, 4242, &err), LB_OK);
    assert_int_equal(count_entries(dir), 0);
    assert_int_equal(pam_session_unregister(dir, 4242, &err), LB_ENOTFOUND);
    assert_int_equal(pam_session_request_id(dir, 4242, id, sizeof(id), &err), LB_ENOTFOUND);
    assert_string_equal(id, "");
    buf_release(&err);
}

static void what_is_not_a_session_file_is_not_read(void **state)
{
    char dir[128], file[160], target[160], id[40];
    struct buf err = BUF_INIT;
    FILE *f;

    (void)state;
    need_root();
    path_of(dir, sizeof(dir), "odd");
    assert_int_equal(pam_session_dir_prepare(dir, &err), LB_OK);
    snprintf(file, sizeof(file), "%s/7.json", dir);
    assert_non_null(f = fopen(file, "w"));
    fputs("{\"user\":\"alice\"}", f);
    fclose(f);
    assert_int_equal(pam_session_request_id(dir, 7, id, sizeof(id), &err), LB_EINVAL);
    assert_non_null(strstr(buf_cstr(&err), "is not a session file"));
    assert_non_null(f = fopen(file, "w"));
    fputs("not json", f);
    fclose(f);
    assert_int_equal(pam_session_request_id(dir, 7, id, sizeof(id), &err), LB_EINVAL);
    /* a file not root's */
    assert_non_null(f = fopen(file, "w"));
    fputs("{\"request_id\":\"" RID "\"}", f);
    fclose(f);
    assert_int_equal(pam_session_request_id(dir, 7, id, sizeof(id), &err), LB_OK);
    assert_int_equal(chown(file, 65534, 65534), 0);
    assert_int_equal(pam_session_request_id(dir, 7, id, sizeof(id), &err), LB_EINVAL);
    /* a link is not followed */
    assert_int_equal(unlink(file), 0);
    path_of(target, sizeof(target), "elsewhere.json");
    assert_non_null(f = fopen(target, "w"));
    fputs("{\"request_id\":\"" RID "\"}", f);
    fclose(f);
    assert_int_equal(symlink(target, file), 0);
    assert_int_equal(pam_session_request_id(dir, 7, id, sizeof(id), &err), LB_EIO);
    buf_release(&err);
}

static void a_directory_that_is_gone_fails_cleanly(void **state)
{
    char dir[128];
    struct buf err = BUF_INIT;

    (void)state;
    path_of(dir, sizeof(dir), "gone");
    assert_int_equal(pam_session_register(dir, &sample, &err), LB_EIO);
    assert_non_null(strstr(buf_cstr(&err), "cannot create a session file"));
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_file_is_the_documented_object),
        cmocka_unit_test(details_and_absent_items),
        cmocka_unit_test(a_missing_directory_is_made_0700),
        cmocka_unit_test(a_directory_others_could_write_is_refused),
        cmocka_unit_test(register_read_back_and_remove),
        cmocka_unit_test(what_is_not_a_session_file_is_not_read),
        cmocka_unit_test(a_directory_that_is_gone_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
