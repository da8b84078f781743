#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

int test_failed, test_skipped;
static uint64_t run_seed;
static uint64_t rng_s[4];

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t test_rand(void) {
    uint64_t r = rotl(rng_s[1] * 5, 7) * 9, t = rng_s[1] << 17;
    rng_s[2] ^= rng_s[0];
    rng_s[3] ^= rng_s[1];
    rng_s[1] ^= rng_s[2];
    rng_s[0] ^= rng_s[3];
    rng_s[2] ^= t;
    rng_s[3] = rotl(rng_s[3], 45);
    return r;
}

uint64_t test_rand_below(uint64_t n) {
    uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;
    do x = test_rand();
    while (x >= lim);
    return x % n;
}

void test_rand_bytes(void *buf, size_t n) {
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)test_rand();
}

uint64_t test_seed(void) { return run_seed; }

static void seed_case(uint64_t seed, const char *name) {
    uint64_t z = seed;
    for (const char *c = name; *c; c++) z = (z ^ (unsigned char)*c) * 0x100000001b3ULL;
    for (int i = 0; i < 4; i++) { /* splitmix64 */
        z += 0x9e3779b97f4a7c15ULL;
        uint64_t x = z;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        rng_s[i] = x ^ (x >> 31);
    }
}

void test_fail_at(const char *file, int line, const char *msg) {
    fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, msg);
    test_failed = 1;
}

void test_skip(const char *why) {
    fprintf(stderr, "  skipped: %s\n", why);
    test_skipped = 1;
}

const char *test_source_dir(void) {
    const char *d = getenv("FTI_SOURCE_DIR");
    return d ? d : ".";
}

const char *test_models_dir(void) {
    static char path[4096];
    const char *env = getenv("FTI_MODELS_DIR");
    if (env) snprintf(path, sizeof path, "%s", env);
    else snprintf(path, sizeof path, "%s/../shared/models", test_source_dir());
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

static char tmpdir_path[256];
static void remove_tmpdir(void) {
    if (tmpdir_path[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir_path);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir_path);
    }
}
const char *test_tmpdir(void) {
    if (!tmpdir_path[0]) {
        snprintf(tmpdir_path, sizeof tmpdir_path, "/tmp/fti-test-XXXXXX");
        if (!mkdtemp(tmpdir_path)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_tmpdir);
    }
    return tmpdir_path;
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL, *exclude = NULL;
    if (filter && strcmp(filter, "--exclude") == 0) { /* --exclude SUBSTRING: all cases but those */
        exclude = argc > 2 ? argv[2] : "";
        filter = NULL;
    }
    const char *env = getenv("FTI_TEST_SEED");
    run_seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    int failed = 0, skipped = 0, ran = 0;
    if (filter && strcmp(filter, "--list") == 0) {
        for (const struct test_case *t = TEST_CASES; t->name; t++) puts(t->name);
        return 0;
    }
    for (const struct test_case *t = TEST_CASES; t->name; t++) {
        if (filter && !strstr(t->name, filter)) continue;
        if (exclude && strstr(t->name, exclude)) continue;
        test_failed = test_skipped = 0;
        seed_case(run_seed, t->name);
        clock_t c0 = clock();
        t->fn();
        double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
        ran++;
        if (test_failed) {
            failed++;
            fprintf(stderr, "FAIL %s (FTI_TEST_SEED=%" PRIu64 ")\n", t->name, run_seed);
        } else if (test_skipped) {
            skipped++;
            printf("skip %s\n", t->name);
        } else {
            printf("ok   %s (%.2fs cpu)\n", t->name, secs);
        }
        fflush(stdout);
    }
    printf("%d cases: %d passed, %d failed, %d skipped (seed %" PRIu64 ")\n", ran, ran - failed - skipped,
           failed, skipped, run_seed);
    if (failed) return 1;
    return skipped || ran == 0 ? 77 : 0;
}
