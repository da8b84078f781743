/* adapter_config.json: parsing, rank/alpha patterns and target-module matching for lora.c. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/lora_internal.h"
#include "util/error.h"

static fti_status bad(const char *path, const char *what) {
    return fti_fail(FTI_ERR_FORMAT, "%s: %s", path, what);
}

static fti_status parse_targets(fti_lora_cfg *c, json_t *v, const char *path) {
    if (!v || json_is_null(v)) return FTI_OK;
    if (json_is_string(v)) {
        c->pub.target_regex = json_string_value(v);
        return FTI_OK;
    }
    if (!json_is_array(v)) return bad(path, "target_modules is neither a list nor a string");
    size_t n = json_array_size(v);
    c->targets = calloc(n ? n : 1, sizeof *c->targets);
    if (!c->targets) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s)) return bad(path, "target_modules has a member that is not a string");
        c->targets[i] = json_string_value(s);
    }
    c->pub.target_list = c->targets;
    c->pub.target_count = n;
    return FTI_OK;
}

static fti_status get_bool(int *out, json_t *root, const char *key, const char *path) {
    json_t *v = json_object_get(root, key);
    *out = 0;
    if (!v || json_is_null(v)) return FTI_OK;
    if (!json_is_boolean(v)) return fti_fail(FTI_ERR_FORMAT, "%s: %s is not a boolean", path, key);
    *out = json_is_true(v);
    return FTI_OK;
}

static fti_status check_pattern_map(json_t *v, const char *key, int integer, const char *path) {
    const char *k;
    json_t *x;
    if (!v || json_is_null(v)) return FTI_OK;
    if (!json_is_object(v)) return fti_fail(FTI_ERR_FORMAT, "%s: %s is not an object", path, key);
    json_object_foreach(v, k, x) {
        int ok = integer ? json_is_integer(x) && json_integer_value(x) >= 1 && json_integer_value(x) <= 1 << 24
                         : json_is_number(x) && json_number_value(x) > 0;
        if (!ok) return fti_fail(FTI_ERR_FORMAT, "%s: %s entry \"%s\" is not a positive number", path, key, k);
    }
    return FTI_OK;
}

static fti_status check_unsupported(json_t *root, const char *path) {
    json_t *pt = json_object_get(root, "peft_type");
    if (pt && !json_is_null(pt) && (!json_is_string(pt) || strcmp(json_string_value(pt), "LORA") != 0))
        return fti_fail(FTI_ERR_UNSUPPORTED, "%s: peft_type is not LORA", path);
    json_t *dora = json_object_get(root, "use_dora");
    if (json_is_true(dora)) return fti_fail(FTI_ERR_UNSUPPORTED, "%s: DoRA adapters (use_dora) are not supported", path);
    return FTI_OK;
}

fti_status fti_lora_cfg_load(fti_lora_cfg *c, const char *path) {
    json_error_t err;
    memset(c, 0, sizeof *c);
    c->root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!c->root) return fti_fail(err.line < 0 ? FTI_ERR_IO : FTI_ERR_FORMAT, "%s: %s", path, err.text);
    json_t *root = c->root;
    if (!json_is_object(root)) return bad(path, "not a JSON object");
    fti_status st = check_unsupported(root, path);
    if (st != FTI_OK) return st;
    json_t *r = json_object_get(root, "r"), *alpha = json_object_get(root, "lora_alpha");
    if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > 1 << 24)
        return bad(path, "r is missing or not a positive integer");
    if (!json_is_number(alpha) || !(json_number_value(alpha) > 0))
        return bad(path, "lora_alpha is missing or not a positive number");
    c->pub.r = (unsigned)json_integer_value(r);
    c->pub.alpha = json_number_value(alpha);
    json_t *bm = json_object_get(root, "base_model_name_or_path");
    if (bm && !json_is_null(bm) && !json_is_string(bm)) return bad(path, "base_model_name_or_path is not a string");
    c->pub.base_model = json_is_string(bm) ? json_string_value(bm) : NULL;
    c->rank_pattern = json_object_get(root, "rank_pattern");
    c->alpha_pattern = json_object_get(root, "alpha_pattern");
    st = get_bool(&c->pub.use_rslora, root, "use_rslora", path);
    if (st == FTI_OK) st = get_bool(&c->pub.fan_in_fan_out, root, "fan_in_fan_out", path);
    if (st == FTI_OK) st = check_pattern_map(c->rank_pattern, "rank_pattern", 1, path);
    if (st == FTI_OK) st = check_pattern_map(c->alpha_pattern, "alpha_pattern", 0, path);
    if (st == FTI_OK) st = parse_targets(c, json_object_get(root, "target_modules"), path);
    return st;
}

void fti_lora_cfg_free(fti_lora_cfg *c) {
    free(c->targets);
    json_decref(c->root);
    memset(c, 0, sizeof *c);
}

/* 1 if the POSIX extended regex "^(prefix)(re)$" matches s; -1 if re does not compile. */
static int regex_full(const char *prefix, const char *re, const char *s) {
    size_t n = strlen(prefix) + strlen(re) + 8;
    char *pat = malloc(n);
    regex_t rx;
    int res = -1;
    if (!pat) return -1;
    snprintf(pat, n, "^%s(%s)$", prefix, re);
    if (regcomp(&rx, pat, REG_EXTENDED | REG_NOSUB) == 0) {
        res = regexec(&rx, s, 0, NULL, 0) == 0;
        regfree(&rx);
    }
    free(pat);
    return res;
}

/* The value of the first pattern of map matching module, or NULL. */
static json_t *pattern_value(json_t *map, const char *module) {
    const char *k;
    json_t *v;
    if (!json_is_object(map)) return NULL;
    json_object_foreach(map, k, v) {
        if (regex_full("(.*\\.)?", k, module) == 1) return v;
    }
    return NULL;
}

void fti_lora_cfg_for(const fti_lora_cfg *c, const char *module, unsigned *r, double *alpha) {
    json_t *rv = pattern_value(c->rank_pattern, module), *av = pattern_value(c->alpha_pattern, module);
    *r = rv ? (unsigned)json_integer_value(rv) : c->pub.r;
    *alpha = av ? json_number_value(av) : c->pub.alpha;
}

static int ends_with_dot(const char *module, const char *target) {
    size_t n = strlen(module), m = strlen(target);
    if (n == m) return strcmp(module, target) == 0;
    return n > m && module[n - m - 1] == '.' && strcmp(module + n - m, target) == 0;
}

fti_status fti_lora_cfg_targets(const fti_lora_cfg *c, const char *module, const char *path) {
    char q[200];
    if (c->pub.target_list) {
        for (size_t i = 0; i < c->pub.target_count; i++)
            if (ends_with_dot(module, c->pub.target_list[i])) return FTI_OK;
        return fti_fail(FTI_ERR_FORMAT, "%s: module %s is not among target_modules", path,
                        fti_st_quote(q, sizeof q, module));
    }
    if (!c->pub.target_regex || strcmp(c->pub.target_regex, "all-linear") == 0) return FTI_OK;
    int m = regex_full("", c->pub.target_regex, module);
    if (m < 0) return fti_fail(FTI_ERR_UNSUPPORTED, "%s: target_modules regex is not a POSIX extended regex", path);
    if (!m)
        return fti_fail(FTI_ERR_FORMAT, "%s: module %s does not match target_modules", path,
                        fti_st_quote(q, sizeof q, module));
    return FTI_OK;
}
