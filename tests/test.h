/* Minimal test framework: each tests/test_*.c defines
 *
 *   static void test_area__case(void) { CHECK(...); }
 *   const struct test_case TEST_CASES[] = { TEST(test_area__case), ..., {0} };
 *
 * and links tests/test_main.c, whose main() runs the cases whose names contain argv[1]
 * (all by default; `--exclude S` runs all but those containing S), seeds the RNG from FTI_TEST_SEED (or the clock) and prints the seed on
 * failure so the run can be repeated. Exit status: 0 all passed, 1 a case failed, 77 no case
 * failed but some were skipped (e.g. ../shared/models absent) or none ran.
 *
 * Cases that need the real models in ../shared/models have "models" in their name; CMake
 * registers such a program twice, as NAME (all other cases) and NAME_models (only those), so
 * that a missing models folder shows as a skipped test, never as a pass. */
#ifndef FTI_TEST_H
#define FTI_TEST_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};
#define TEST(fn) {#fn, fn}

extern const struct test_case TEST_CASES[];

extern int test_failed;  /* set by CHECK in the running case */
extern int test_skipped; /* set by test_skip */

void test_fail_at(const char *file, int line, const char *msg);
void test_skip(const char *why);

/* Fails the running case and returns from the calling function. */
#define CHECK(cond)                                                \
    do {                                                           \
        if (!(cond)) {                                             \
            test_fail_at(__FILE__, __LINE__, #cond);               \
            return;                                                \
        }                                                          \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                            \
    do {                                                                              \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                  \
        if (check_a_ != check_b_) {                                                   \
            char check_msg_[256];                                                     \
            snprintf(check_msg_, sizeof check_msg_, "%s == %s (%" PRIu64 " vs %" PRIu64 ")", #a, \
                     #b, check_a_, check_b_);                                         \
            test_fail_at(__FILE__, __LINE__, check_msg_);                             \
            return;                                                                   \
        }                                                                             \
    } while (0)

/* Deterministic RNG for tests (xoshiro256**), seeded per case from the run's seed. */
uint64_t test_rand(void);
uint64_t test_rand_below(uint64_t n); /* uniform in [0, n), n > 0 */
void test_rand_bytes(void *buf, size_t n);
uint64_t test_seed(void);

/* Path helpers: the source tree (FTI_SOURCE_DIR) and the shared models folder (NULL if
 * absent). test_tmpdir() is a fresh per-process scratch directory, removed at exit. */
const char *test_source_dir(void);
const char *test_models_dir(void);
const char *test_tmpdir(void);

#endif
