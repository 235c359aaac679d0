/*
 * fuzz.h - what the harnesses share: the libFuzzer entry point they define, a check that
 * holds in every build (assert() vanishes under NDEBUG), the input as a C string, and the
 * input as a file for the parsers that read a path.
 *
 * A harness defines LLVMFuzzerTestOneInput and keeps no state across calls beyond what it
 * sets up once (and bounds). FUZZ_CHECK prints the broken property and aborts: libFuzzer
 * and the replay driver (replay.c) both report an abort as a finding. fuzz_cstr copies the
 * input with a NUL after it (the caller frees); fuzz_file writes it to one unlinked temporary
 * file per process (in /dev/shm when it can) and answers a path to it (/proc/self/fd/N),
 * NULL when that cannot be made.
 */
#ifndef LB_FUZZ_FUZZ_H
#define LB_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];

    if (fd < 0) {
        /* in memory when there is /dev/shm: a file on disk makes each run wait on it */
        char shm[] = "/dev/shm/lockbox-fuzz.XXXXXX", tmp[] = "/tmp/lockbox-fuzz.XXXXXX";
        char *name = shm;
        if ((fd = mkstemp(shm)) < 0 && (fd = mkstemp(name = tmp)) < 0)
            return NULL;
        unlink(name);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return NULL;
    return path;
}

#endif
