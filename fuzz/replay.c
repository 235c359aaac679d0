/*
 * replay.c - runs a harness over a corpus without libFuzzer: the gcc build links each harness
 * with this main() as fuzz_replay_NAME, and CTest runs it over fuzz/corpus/NAME, so every
 * `make check` (and `make check-asan`, under the sanitizers) replays every input ever kept.
 * Arguments are files or folders (each regular file in a folder, in name order); the exit
 * status is 0 when every input ran (a broken property aborts), 1 when one cannot be read or
 * a folder is empty (a corpus that went missing must not pass as replayed).
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long len;
    int rc = 1;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    /* an exact-size copy, so that ASan sees a read past the input's end */
    if (!(data = malloc(len ? (size_t)len : 1)) || fread(data, 1, (size_t)len, f) != (size_t)len)
        goto out;
    LLVMFuzzerTestOneInput(data, (size_t)len);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
    free(data);
    if (f)
        fclose(f);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_dir(const char *dir, size_t *count)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, by_name), rc = 0;
    char path[4096];
    struct stat st;

    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = replay_file(path);
            ++*count;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    struct stat st;

    for (int i = 1; i < argc; i++) {
        size_t before = count;
        int rc = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count)
                                                                : (count++, replay_file(argv[i]));
        if (rc)
            return 1;
        if (count == before) {
            fprintf(stderr, "replay: %s holds no input\n", argv[i]);
            return 1;
        }
    }
    printf("replay: %zu inputs, no property broken\n", count);
    return 0;
}
