/* http/door: connections counted per address (IPv4, IPv6 by /64, exempt proxies), reservations
 * libmicrohttpd never took, many addresses coming and going, and the head deadline: swept with
 * an explicit clock, stopped by a head, restarted for the next one, and kept by the watchdog. */
#include "http/door.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define SECOND 1000000LL

static struct sockaddr_storage addr(const char *ip)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
    }
    return ss;
}

static bool admit(struct door *d, const char *ip)
{
    struct sockaddr_storage ss = addr(ip);

    return door_admit(d, (struct sockaddr *)&ss, sizeof(ss));
}

/* Admits and opens a connection from ip (no socket); NULL when refused. */
static struct door_conn *connect_from(struct door *d, const char *ip)
{
    if (!admit(d, ip))
        return NULL;
    struct door_conn *c = door_open(d, -1, 1);
    assert_non_null(c);
    return c;
}

static struct door *door_with(unsigned per_ip, int64_t timeout_ms, char *const *exempt,
                              size_t exempt_count)
{
    struct door_config cfg = {.max_connections = 64,
                              .max_per_ip = per_ip,
                              .header_timeout_ms = timeout_ms,
                              .exempt = exempt,
                              .exempt_count = exempt_count};
    struct door *d = NULL;

    assert_int_equal(door_new(&cfg, &d, NULL), 0);
    return d;
}

static void limits_connections_per_address(void **state)
{
    struct door *d = door_with(2, 0, NULL, 0);
    struct door_conn *a1, *a2, *b1;
    struct door_stats st;

    (void)state;
    a1 = connect_from(d, "192.0.2.1");
    a2 = connect_from(d, "192.0.2.1");
    assert_non_null(a1);
    assert_non_null(a2);
    assert_null(connect_from(d, "192.0.2.1"));
    b1 = connect_from(d, "192.0.2.2");
    assert_non_null(b1);
    /* the IPv4-mapped spelling is the same address */
    assert_false(admit(d, "::ffff:192.0.2.1"));
    door_close(d, a1);
    a1 = connect_from(d, "::ffff:192.0.2.1");
    assert_non_null(a1);
    assert_null(connect_from(d, "192.0.2.1"));
    door_stats(d, &st);
    assert_int_equal(st.open, 3);
    assert_int_equal(st.refused, 3);
    door_close(d, a1);
    door_close(d, a2);
    door_close(d, b1);
    door_close(d, NULL);
    door_stats(d, &st);
    assert_int_equal(st.open, 0);
    door_free(d);
}

static void counts_ipv6_by_its_64(void **state)
{
    struct door *d = door_with(1, 0, NULL, 0);
    struct door_conn *c;

    (void)state;
    c = connect_from(d, "2001:db8:1:2::1");
    assert_non_null(c);
    assert_false(admit(d, "2001:db8:1:2:ffff::9"));
    assert_true(admit(d, "2001:db8:1:3::1"));
    door_close(d, door_open(d, -1, 1));
    door_close(d, c);
    assert_true(admit(d, "2001:db8:1:2::2"));
    door_free(d);
}

static void exempt_addresses_are_not_counted(void **state)
{
    char *exempt[] = {"10.0.0.5", "2001:db8::5"};
    struct door *d = door_with(1, 0, exempt, 2);
    struct door_conn *c[6];

    (void)state;
    for (int i = 0; i < 3; i++) {
        c[i] = connect_from(d, "10.0.0.5");
        c[3 + i] = connect_from(d, "2001:db8::5");
        assert_non_null(c[i]);
        assert_non_null(c[3 + i]);
    }
    /* the proxy's /64 neighbours are not the proxy */
    struct door_conn *neighbour = connect_from(d, "2001:db8::6");
    assert_non_null(neighbour);
    assert_false(admit(d, "2001:db8::7"));
    door_close(d, neighbour);
    for (int i = 0; i < 6; i++)
        door_close(d, c[i]);
    door_free(d);

    struct door_config bad = {
        .max_connections = 8, .max_per_ip = 1, .exempt = (char *[]){"proxy"}, .exempt_count = 1};
    struct door *none = (struct door *)1;
    struct buf err = BUF_INIT;
    assert_int_equal(door_new(&bad, &none, &err), LB_EINVAL);
    assert_null(none);
    assert_string_equal(buf_cstr(&err), "'proxy' is not an IP address");
    buf_release(&err);
}

static void releases_a_reservation_never_opened(void **state)
{
    struct door *d = door_with(1, 0, NULL, 0);
    struct door_conn *c;

    (void)state;
    /* libmicrohttpd admitted it, then failed before STARTED: the next admit releases it */
    assert_true(admit(d, "198.51.100.7"));
    assert_true(admit(d, "198.51.100.7"));
    c = door_open(d, -1, 1);
    assert_non_null(c);
    assert_false(admit(d, "198.51.100.7"));
    door_close(d, c);
    assert_true(admit(d, "198.51.100.7"));
#ifdef LB_TESTING
    /* no memory for the entry: the connection goes unwatched and its slot is given back */
    lb_mem_fail_set(1);
    assert_null(door_open(d, -1, 1));
    lb_mem_fail_set(0);
    assert_true(admit(d, "198.51.100.7"));
#endif
    door_free(d);
}

static void many_addresses_come_and_go(void **state)
{
    struct door *d = door_with(1, 0, NULL, 0);
    struct door_conn *c[200];
    char ip[32];

    (void)state;
    /* more addresses than the table's home slots spread well over: runs form and are mended */
    for (int i = 0; i < 200; i++) {
        snprintf(ip, sizeof(ip), "203.0.%d.%d", i / 100, i % 100);
        c[i] = connect_from(d, ip);
        assert_non_null(c[i]);
    }
    for (int i = 0; i < 200; i += 3) {
        door_close(d, c[i]);
        c[i] = NULL;
    }
    for (int i = 0; i < 200; i++) {
        snprintf(ip, sizeof(ip), "203.0.%d.%d", i / 100, i % 100);
        if (c[i]) {
            assert_false(admit(d, ip));
        } else {
            c[i] = connect_from(d, ip);
            assert_non_null(c[i]);
        }
    }
    for (int i = 199; i >= 0; i--)
        door_close(d, c[i]);
    for (int i = 0; i < 200; i++) {
        snprintf(ip, sizeof(ip), "203.0.%d.%d", i / 100, i % 100);
        c[i] = connect_from(d, ip);
        assert_non_null(c[i]);
    }
    for (int i = 0; i < 200; i++)
        door_close(d, c[i]);
    door_free(d);
}

/* Whether the peer of sv[1] was shut down (it reads end of file). */
static bool was_shut(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT);

    return n == 0;
}

static void sweeps_heads_that_are_late(void **state)
{
    struct door *d = door_with(0, 1000, NULL, 0);
    const int64_t t = 100 * SECOND;
    int a[2], b[2];
    struct door_conn *ca, *cb;
    struct door_stats st;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    assert_true(admit(d, "192.0.2.1"));
    ca = door_open(d, a[0], t);
    assert_true(admit(d, "192.0.2.1"));
    cb = door_open(d, b[0], t);
    /* b's head arrives; a's does not */
    assert_true(door_head_arrived(cb));
    assert_int_equal(door_sweep(d, t + SECOND - 1), 0);
    assert_false(was_shut(a[1]));
    assert_int_equal(door_sweep(d, t + SECOND), 1);
    assert_true(was_shut(a[1]));
    assert_false(was_shut(b[1]));
    assert_false(door_head_arrived(ca)); /* cut: its request is not served */
    assert_int_equal(door_sweep(d, t + 5 * SECOND), 0);
    /* b is answered and waits for its next head from then */
    door_head_wait(d, cb, t + 2 * SECOND);
    assert_int_equal(door_sweep(d, t + 3 * SECOND - 1), 0);
    assert_int_equal(door_sweep(d, t + 3 * SECOND), 1);
    assert_true(was_shut(b[1]));
    door_head_wait(d, cb, t + 4 * SECOND); /* a cut connection stays cut */
    assert_false(door_head_arrived(cb));
    door_stats(d, &st);
    assert_int_equal(st.timed_out, 2);
    door_close(d, ca);
    door_close(d, cb);
    assert_true(door_head_arrived(NULL));
    door_free(d);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
}

static void the_watchdog_cuts_on_time(void **state)
{
    struct door *d = door_with(4, 100, NULL, 0);
    int sv[2];
    struct door_conn *c;
    bool shut = false;

    (void)state;
    assert_int_equal(door_start(d), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_true(admit(d, "192.0.2.9"));
    c = door_open(d, sv[0], time_mono_us());
    assert_non_null(c);
    /* a correctness bound, not a speed test: cut well within 5 s of a 100 ms deadline */
    for (int i = 0; i < 500 && !shut; i++) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        shut = was_shut(sv[1]);
    }
    assert_true(shut);
    assert_false(door_head_arrived(c));
    door_close(d, c);
    door_free(d);
    close(sv[0]);
    close(sv[1]);
    /* no timeout: no watchdog, and heads are never due */
    d = door_with(0, 0, NULL, 0);
    assert_int_equal(door_start(d), 0);
    assert_true(admit(d, "192.0.2.9"));
    c = door_open(d, -1, 1);
    assert_int_equal(door_sweep(d, INT64_MAX), 0);
    door_close(d, c);
    door_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limits_connections_per_address),
        cmocka_unit_test(counts_ipv6_by_its_64),
        cmocka_unit_test(exempt_addresses_are_not_counted),
        cmocka_unit_test(releases_a_reservation_never_opened),
        cmocka_unit_test(many_addresses_come_and_go),
        cmocka_unit_test(sweeps_heads_that_are_late),
        cmocka_unit_test(the_watchdog_cuts_on_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
