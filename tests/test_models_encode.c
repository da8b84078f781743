/* Every tensor of every real model in ../shared/models, decoded and encoded by fti and by the
 * independent numpy oracle (tests/oracle/encode_oracle.py): quantum exponent, sum v, sum v^2,
 * matrix view (out axis from the file's "layout" metadata) and SHA-256 of the padded lo / hi
 * limb arrays must agree. The genuine base / further-trained pair human_faceres ->
 * human_faceres_deep is also encoded in the base's frame (the tuned tensors with the base's
 * quanta), as `fti commit --base` will. Skipped when the models folder is absent. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "model/checkpoint.h"
#include "model/encode.h"
#include "oracle/oracle_client.h"
#include "test.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The models' file names, sorted; NULL-terminated, malloc'd. */
static char **list_models(const char *dir) {
    DIR *d = opendir(dir);
    char **names = calloc(64, sizeof *names);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n < 63;) {
        size_t len = strlen(e->d_name);
        if (len > 12 && strcmp(e->d_name + len - 12, ".safetensors") == 0) names[n++] = strdup(e->d_name);
    }
    if (d) closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    return names;
}

static void free_list(char **names) {
    for (char **p = names; *p; p++) free(*p);
    free(names);
}

/* Compares model path (tuned with quanta from base_path when given) with the oracle. Returns
 * the number of tensors compared, or -1 on a mismatch. */
static long compare_model(const char *path, const char *base_path) {
    char args[1200];
    snprintf(args, sizeof args, "--axis layout%s%s%s", base_path ? " --base '" : "", base_path ? base_path : "",
             base_path ? "'" : "");
    oracle_recs o;
    fti_ckpt *c = NULL, *b = NULL;
    long compared = 0;
    int ok = oracle_run(&o, path, args) && fti_ckpt_open(&c, path) == FTI_OK &&
             (!base_path || fti_ckpt_open(&b, base_path) == FTI_OK);
    if (ok && o.n != fti_ckpt_count(c)) {
        fprintf(stderr, "  %s: oracle has %zu tensors, fti %zu\n", path, o.n, fti_ckpt_count(c));
        ok = 0;
    }
    for (size_t i = 0; ok && i < fti_ckpt_count(c); i++) {
        const fti_st_tensor *t = fti_ckpt_tensor(c, i), *bt = b ? fti_ckpt_find(b, t->name) : NULL;
        const char *layout = fti_st_metadata_get(t->file, "layout");
        oracle_rec r;
        ok = (!b || bt) && strcmp(o.r[i].name, t->name) == 0 &&
             c_record(&r, t, bt, NULL, fti_layout_out_axis(layout, t->ndim), 0) && rec_equal(&r, &o.r[i]);
        fti_ckpt_release(t);
        compared++;
    }
    if (!ok) fprintf(stderr, "  %s: mismatch (last error: %s)\n", path, fti_last_error());
    fti_ckpt_close(c);
    fti_ckpt_close(b);
    oracle_free(&o);
    return ok ? compared : -1;
}

static void test_models__every_tensor_matches_oracle(void) {
    const char *dir = test_models_dir();
    if (!dir) {
        test_skip("../shared/models is absent");
        return;
    }
    if (!oracle_available()) {
        test_skip(ORACLE_PYTHON " (with numpy) is absent");
        return;
    }
    char **names = list_models(dir);
    long files = 0, tensors = 0;
    for (char **p = names; *p; p++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, *p);
        long n = compare_model(path, NULL);
        if (n < 0) {
            fprintf(stderr, "  FAIL on %s\n", *p);
            free_list(names);
            CHECK(0);
        }
        files++;
        tensors += n;
    }
    free_list(names);
    fprintf(stderr, "  %ld files, %ld tensors agree with the oracle\n", files, tensors);
    CHECK(files > 0);
}

static void test_models__tuned_in_base_frame(void) {
    const char *dir = test_models_dir();
    if (!dir) {
        test_skip("../shared/models is absent");
        return;
    }
    if (!oracle_available()) {
        test_skip(ORACLE_PYTHON " (with numpy) is absent");
        return;
    }
    char base[4096], tuned[4096];
    snprintf(base, sizeof base, "%s/human_faceres.safetensors", dir);
    snprintf(tuned, sizeof tuned, "%s/human_faceres_deep.safetensors", dir);
    if (access(base, R_OK) != 0 || access(tuned, R_OK) != 0) {
        test_skip("human_faceres pair absent");
        return;
    }
    CHECK(compare_model(tuned, base) == 73);
}

const struct test_case TEST_CASES[] = {
    TEST(test_models__every_tensor_matches_oracle),
    TEST(test_models__tuned_in_base_frame),
    {0},
};
