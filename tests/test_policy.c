/* Policy module: parsing and its rejections, resolution against unit lists, the canonical
 * hash, exact integer bounds (against vectors from Python's exact rationals), architecture
 * detection and presets on synthetic unit lists of each family and on the shared real models. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy/arch.h"
#include "test.h"
#include "util/error.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* Parses JSON written with ' for " (readable test policies). */
static fti_status parse_q(fti_policy **p, const char *text) {
    size_t n = strlen(text);
    char *s = malloc(n + 1);
    for (size_t i = 0; i <= n; i++) s[i] = text[i] == '\'' ? '"' : text[i];
    fti_status st = fti_policy_parse(p, s, n, "test.json");
    free(s);
    return st;
}

/* 1 if the last error contains every given string (NULL-terminated); prints it otherwise. */
static int error_has(const char *first, ...) {
    va_list ap;
    int ok = 1;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        if (!strstr(fti_last_error(), s)) ok = 0;
    va_end(ap);
    if (!ok) fprintf(stderr, "  message: %s\n", fti_last_error());
    return ok;
}

/* 1 if parsing text fails with FTI_ERR_POLICY and a message holding the strings. */
#define REJECTS(text, ...) rejects(text, __VA_ARGS__, (const char *)NULL)
static int rejects(const char *text, const char *first, ...) {
    fti_policy *p = NULL;
    fti_status st = parse_q(&p, text);
    fti_policy_free(p);
    if (st != FTI_ERR_POLICY) {
        fprintf(stderr, "  accepted or wrong status %d: %s\n", st, text);
        return 0;
    }
    va_list ap;
    int ok = 1;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        if (!strstr(fti_last_error(), s)) ok = 0;
    va_end(ap);
    if (!ok) fprintf(stderr, "  message: %s\n", fti_last_error());
    return ok;
}

/* A growable list of units with owned names. */
typedef struct {
    fti_policy_unit u[512];
    char names[512][128];
    char tensors[512][128];
    size_t n;
} unit_list;

static fti_policy_unit *add_unit(unit_list *l, uint64_t rows, uint64_t cols, unsigned ndim,
                                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static fti_policy_unit *add_unit(unit_list *l, uint64_t rows, uint64_t cols, unsigned ndim,
                                 const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->names[l->n], sizeof l->names[0], fmt, ap);
    va_end(ap);
    fti_policy_unit *u = &l->u[l->n];
    *u = (fti_policy_unit){l->names[l->n], NULL, ndim < 2 ? 1 : rows, ndim < 2 ? rows * cols : cols,
                           ndim, FTI_ROLE_UNKNOWN, "F32"};
    l->n++;
    return u;
}
#define VEC(l, n, ...) add_unit(l, n, 1, 1, __VA_ARGS__)
#define MAT(l, r, c, ...) add_unit(l, r, c, 2, __VA_ARGS__)

static size_t find_unit(const unit_list *l, const char *name) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->u[i].name, name) == 0) return i;
    return (size_t)-1;
}

static fti_status resolve_q(fti_policy_resolved **r, const char *text, const unit_list *l) {
    fti_policy *p = NULL;
    fti_status st = parse_q(&p, text);
    if (!st) st = fti_policy_resolve(r, p, l->u, l->n);
    fti_policy_free(p);
    return st;
}

static void small_model(unit_list *l) {
    l->n = 0;
    for (int i = 0; i < 2; i++) {
        MAT(l, 64, 64, "model.layers.%d.self_attn.q_proj.weight", i);
        MAT(l, 64, 64, "model.layers.%d.self_attn.v_proj.weight", i);
        VEC(l, 64, "model.layers.%d.input_layernorm.weight", i);
        VEC(l, 64, "model.layers.%d.mlp.bias", i);
    }
    MAT(l, 100, 64, "lm_head.weight");
    VEC(l, 100, "lm_head.bias");
}

#define HDR "{'fti_policy': 1, 'rules': ["

/* ---- parsing ----------------------------------------------------------------------------- */

static void test_policy__parse_full_example(void) {
    fti_policy *p = NULL;
    const char *text =
        "{'fti_policy': 1, 'description': 'example',"
        " 'rules': ["
        "  {'match': 'model.layers.*.self_attn.[qkvo]_proj.weight',"
        "   'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}},"
        "  {'match': '*.bias', 'norm': {'tau': 0.5}},"
        "  {'match': 'classifier.*', 'norm': {'rho': 0.05}, 'description': 'head'},"
        "  {'match': 'lm_head.weight', 'sparse': {'k': 1000}},"
        "  {'match': 'model.layers.3.*', 'rank': {'r': 8, 'residual': 'none'}, 'norm': {'rho': 0.1}},"
        "  {'match': 'x.*', 'rank': {'r': 2, 'residual': {'frobenius': {'absolute': 0.01}}}},"
        "  {'match': '*', 'frozen': {}}],"
        " 'global': {'max_changed_tensors': 4,"
        "            'total_norm': [{'match': 'model.layers.*', 'tau': 3.0}, {'match': '*', 'rho': 0.2}]}}";
    CHECK(parse_q(&p, text) == FTI_OK);
    CHECK(p->n_rules == 7 && p->n_groups == 2 && p->max_changed_tensors == 4);
    CHECK(strcmp(p->description, "example") == 0 && strcmp(p->rules[2].description, "head") == 0);
    fti_requirement q = p->rules[0].req;
    CHECK(q.flags == FTI_REQ_RANK && q.r == 16 && q.residual.mode == FTI_BOUND_REL && q.residual.value == 0.004);
    q = p->rules[1].req;
    CHECK(q.flags == FTI_REQ_NORM && q.norm.mode == FTI_BOUND_ABS && q.norm.value == 0.5);
    CHECK(p->rules[2].req.norm.mode == FTI_BOUND_REL && p->rules[2].req.norm.value == 0.05);
    CHECK(p->rules[3].req.flags == FTI_REQ_SPARSE && p->rules[3].req.k == 1000);
    q = p->rules[4].req;
    CHECK(q.flags == (FTI_REQ_RANK | FTI_REQ_NORM) && q.r == 8 && q.residual.mode == FTI_BOUND_NONE);
    CHECK(p->rules[5].req.residual.mode == FTI_BOUND_ABS && p->rules[5].req.residual.value == 0.01);
    CHECK(p->rules[6].req.flags == FTI_REQ_FROZEN);
    CHECK(p->groups[0].bound.mode == FTI_BOUND_ABS && p->groups[0].bound.value == 3.0);
    CHECK(p->groups[1].bound.mode == FTI_BOUND_REL);
    char d[128];
    fti_requirement_describe(d, sizeof d, &p->rules[0].req);
    CHECK(strcmp(d, "rank<=16 + residual<=0.004*||W||") == 0);
    fti_requirement_describe(d, sizeof d, &p->rules[4].req);
    CHECK(strcmp(d, "rank<=8 + norm<=0.1*||W||") == 0);
    fti_requirement_describe(d, 8, &p->rules[4].req); /* truncates safely */
    CHECK(strlen(d) == 7);
    fti_policy_free(p);
    /* no rules at all: a valid policy freezing everything */
    CHECK(parse_q(&p, "{'fti_policy': 1, 'rules': []}") == FTI_OK && p->n_rules == 0);
    CHECK(p->max_changed_tensors == -1);
    fti_policy_free(p);
}

static void test_policy__reject_not_json(void) {
    CHECK(REJECTS("{'fti_policy': 1, 'rules': [", "test.json", "not a valid policy", "line 1"));
    CHECK(REJECTS("{'fti_policy': 1, 'rules': []} trailing", "not a valid policy"));
    CHECK(REJECTS("", "not a valid policy"));
    CHECK(REJECTS("[1, 2]", "a policy is a JSON object"));
}

static void test_policy__reject_wrong_version(void) {
    CHECK(REJECTS("{'fti_policy': 2, 'rules': []}", "test.json", "version", "must be 1"));
    CHECK(REJECTS("{'fti_policy': '1', 'rules': []}", "version"));
    CHECK(REJECTS("{'fti_policy': 1.0, 'rules': []}", "version"));
    CHECK(REJECTS("{'rules': []}", "not an fti policy"));
}

static void test_policy__reject_unknown_top_key(void) {
    CHECK(REJECTS("{'fti_policy': 1, 'rules': [], 'rulez': []}", "unknown key \"rulez\""));
    CHECK(REJECTS("{'fti_policy': 1}", "\"rules\" must be an array"));
    CHECK(REJECTS("{'fti_policy': 1, 'rules': {}}", "\"rules\" must be an array"));
    CHECK(REJECTS("{'fti_policy': 1, 'rules': [], 'description': 3}", "description"));
}

static void test_policy__reject_unknown_rule_key(void) {
    CHECK(REJECTS(HDR "{'match': 'a', 'frozen': {}}, {'match': '*.bias', 'nrom': {'tau': 1}}]}",
                  "test.json: rule 1 (*.bias): unknown key \"nrom\""));
    CHECK(REJECTS(HDR "{'match': 'a', 'lowrank': {'r': 1}}]}", "rule 0 (a): unknown key \"lowrank\""));
}

static void test_policy__reject_unknown_nested_key(void) {
    CHECK(REJECTS(HDR "{'match': 'a', 'rank': {'r': 4, 'residul': 'none'}}]}",
                  "rule 0 (a): rank: unknown key \"residul\""));
    CHECK(REJECTS(HDR "{'match': 'a', 'norm': {'tau': 1, 'abs': 1}}]}", "rule 0 (a): norm: unknown key \"abs\""));
    CHECK(REJECTS(HDR "{'match': 'a', 'sparse': {'k': 1, 'K': 2}}]}", "rule 0 (a): sparse: unknown key \"K\""));
    CHECK(REJECTS(HDR "{'match': 'a', 'rank': {'r': 4, 'residual': {'frobenius': {'relativ': 1}}}}]}",
                  "rule 0 (a): rank.residual must be"));
    CHECK(REJECTS(HDR "{'match': 'a', 'rank': {'r': 4, 'residual': {'frobenius': {'relative': 1}, 'x': 1}}}]}",
                  "rule 0 (a): rank.residual must be"));
}

static void test_policy__reject_rule_without_match(void) {
    CHECK(REJECTS(HDR "{'match': 'a', 'frozen': {}}, {'norm': {'tau': 1}}]}", "test.json: rule 1: no \"match\""));
    CHECK(REJECTS(HDR "{'match': '', 'frozen': {}}]}", "rule 0: \"match\" must be a nonempty string"));
    CHECK(REJECTS(HDR "{'match': 3, 'frozen': {}}]}", "rule 0: \"match\" must be a nonempty string"));
    CHECK(REJECTS(HDR "'a']}", "rule 0: must be an object"));
}

static void test_policy__reject_rule_without_constraint(void) {
    CHECK(REJECTS(HDR "{'match': 'lm_head.*'}]}", "rule 0 (lm_head.*): no constraint"));
    CHECK(REJECTS(HDR "{'match': 'lm_head.*', 'description': 'x'}]}", "rule 0 (lm_head.*): no constraint"));
}

static void test_policy__reject_frozen_combined(void) {
    CHECK(REJECTS(HDR "{'match': 'a', 'frozen': {}, 'norm': {'tau': 1}}]}",
                  "rule 0 (a): frozen cannot be combined", "contradiction"));
    CHECK(REJECTS(HDR "{'match': 'a', 'sparse': {'k': 0}, 'frozen': {}}]}", "rule 0 (a): frozen cannot"));
    CHECK(REJECTS(HDR "{'match': 'a', 'frozen': {'k': 1}}]}", "rule 0 (a): frozen takes no parameters"));
    CHECK(REJECTS(HDR "{'match': 'a', 'frozen': true}]}", "rule 0 (a): \"frozen\" must be an object"));
}

static void test_policy__reject_duplicate_class(void) {
    CHECK(REJECTS(HDR "{'match': 'a', 'frozen': {}},\n {'match': 'b.*', 'norm': {'tau': 1}, 'norm': {'rho': 1}}]}",
                  "test.json: rule 1 (b.*): duplicate", "line 2"));
    CHECK(REJECTS(HDR "{'match': 'a', 'rank': {'r': 1, 'r': 2}}]}", "rule 0 (a): duplicate"));
    CHECK(REJECTS(HDR "{'match': 'x\\'[', 'frozen': {}}, {'match': 'b\\']', 'sparse': {'k': 1}, 'sparse': {'k': 2}}]}",
                  "rule 1 (b\"]): duplicate"));
    /* outside the rules: the location */
    CHECK(REJECTS("{'fti_policy': 1, 'rules': [], 'rules': []}", "test.json: not a valid policy: duplicate"));
    CHECK(REJECTS("{'fti_policy': 1, 'description': 'rules', 'global': {'total_norm': [{'match': 'a', 'tau': 1, 'tau': 2}]}, 'rules': []}",
                  "not a valid policy: duplicate"));
}

static void test_policy__reject_bad_k(void) {
    CHECK(REJECTS(HDR "{'match': 'a', 'sparse': {'k': -1}}]}", "rule 0 (a): sparse.k must be an integer >= 0"));
    CHECK(REJECTS(HDR "{'match': 'a', 'sparse': {'k': 1.5}}]}", "rule 0 (a): sparse.k"));
    CHECK(REJECTS(HDR "{'match': 'a', 'sparse': {'k': 10.0}}]}", "rule 0 (a): sparse.k"));
    CHECK(REJECTS(HDR "{'match': 'a', 'sparse': {'k': '10'}}]}", "rule 0 (a): sparse.k"));
    CHECK(REJECTS(HDR "{'match': 'a', 'sparse': {}}]}", "rule 0 (a): sparse needs \"k\""));
    CHECK(REJECTS(HDR "{'match': 'a', 'sparse': 5}]}", "rule 0 (a): \"sparse\" must be an object"));
}

static void test_policy__reject_bad_r(void) {
    CHECK(REJECTS(HDR "{'match': 'a', 'rank': {'r': 0}}]}", "rule 0 (a): rank.r must be an integer >= 1"));
    CHECK(REJECTS(HDR "{'match': 'a', 'rank': {'r': -3}}]}", "rule 0 (a): rank.r"));
    CHECK(REJECTS(HDR "{'match': 'a', 'rank': {'r': 2.0}}]}", "rule 0 (a): rank.r"));
    CHECK(REJECTS(HDR "{'match': 'a', 'rank': {'residual': 'none'}}]}", "rule 0 (a): rank needs \"r\""));
}

static void test_policy__reject_bad_bounds(void) {
    CHECK(REJECTS(HDR "{'match': 'a', 'norm': {'tau': -0.5}}]}", "rule 0 (a): norm \"tau\" must be a finite number >= 0"));
    CHECK(REJECTS(HDR "{'match': 'a', 'norm': {'rho': -1e-9}}]}", "rule 0 (a): norm \"rho\""));
    CHECK(REJECTS(HDR "{'match': 'a', 'norm': {'tau': '1'}}]}", "rule 0 (a): norm \"tau\""));
    CHECK(REJECTS(HDR "{'match': 'a', 'norm': {'tau': null}}]}", "rule 0 (a): norm \"tau\""));
    CHECK(REJECTS(HDR "{'match': 'a', 'norm': {'tau': 1, 'rho': 1}}]}", "rule 0 (a): norm needs exactly one"));
    CHECK(REJECTS(HDR "{'match': 'a', 'norm': {}}]}", "rule 0 (a): norm needs exactly one"));
    CHECK(REJECTS(HDR "{'match': 'a', 'norm': {'tau': 1e999}}]}", "not a valid policy")); /* overflow */
}

static void test_policy__reject_bad_residual(void) {
    static const char *const bad[] = {
        "'exact'", "0.1", "{}", "{'frobenius': 0.1}", "{'frobenius': {}}",
        "{'frobenius': {'absolute': 1, 'relative': 1}}", "{'spectral': {'absolute': 1}}", "null"};
    char text[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, HDR "{'match': 'w', 'rank': {'r': 4, 'residual': %s}}]}", bad[i]);
        CHECK(REJECTS(text, "rule 0 (w): rank.residual must be"));
    }
    CHECK(REJECTS(HDR "{'match': 'w', 'rank': {'r': 4, 'residual': {'frobenius': {'absolute': -1}}}}]}",
                  "rule 0 (w): rank.residual.frobenius.absolute must be a finite number >= 0"));
    CHECK(REJECTS(HDR "{'match': 'w', 'rank': {'r': 4, 'residual': {'frobenius': {'relative': 'x'}}}}]}",
                  "rule 0 (w): rank.residual.frobenius.relative"));
}

static void test_policy__reject_bad_global(void) {
    CHECK(REJECTS(HDR "], 'global': {'max_changed': 3}}", "global: unknown key \"max_changed\""));
    CHECK(REJECTS(HDR "], 'global': {'max_changed_tensors': -1}}", "max_changed_tensors must be an integer >= 0"));
    CHECK(REJECTS(HDR "], 'global': {'max_changed_tensors': 2.5}}", "max_changed_tensors"));
    CHECK(REJECTS(HDR "], 'global': []}", "\"global\" must be an object"));
    CHECK(REJECTS(HDR "], 'global': {'total_norm': {}}}", "total_norm must be an array"));
    CHECK(REJECTS(HDR "], 'global': {'total_norm': [{'match': 'a', 'tau': 1}, {'match': 'l.*', 'tau': 1, 'rho': 1}]}}",
                  "global.total_norm[1] (l.*): needs exactly one"));
    CHECK(REJECTS(HDR "], 'global': {'total_norm': [{'tau': 1}]}}", "global.total_norm[0]: needs \"match\""));
    CHECK(REJECTS(HDR "], 'global': {'total_norm': [{'match': 'a', 'tau': -2}]}}", "global.total_norm[0] (a): \"tau\""));
    CHECK(REJECTS(HDR "], 'global': {'total_norm': [{'match': 'a', 'rho': 1, 'k': 1}]}}",
                  "global.total_norm[0] (a): unknown key \"k\""));
}

/* Random byte edits of a valid policy: every outcome is FTI_OK or FTI_ERR_POLICY with a
 * message, never a crash; accepted texts have a canonical form that parses back to itself. */
static void test_policy__parser_survives_mutations(void) {
    static const char base[] =
        "{\"fti_policy\": 1, \"rules\": [{\"match\": \"a.*\", \"rank\": {\"r\": 4, \"residual\": "
        "{\"frobenius\": {\"relative\": 0.5}}}, \"norm\": {\"tau\": 2}}, {\"match\": \"*\", \"sparse\": "
        "{\"k\": 3}}], \"global\": {\"max_changed_tensors\": 1, \"total_norm\": [{\"match\": \"a*\", "
        "\"rho\": 1}]}}";
    static const char alphabet[] = "{}[]\":,\\ 0123456789.-eE*abrtkxnul";
    char buf[sizeof base + 8];
    int accepted = 0;
    for (int it = 0; it < 20000; it++) {
        size_t n = sizeof base - 1;
        memcpy(buf, base, n);
        for (int e = 0, edits = 1 + (int)test_rand_below(3); e < edits; e++) {
            size_t at = test_rand_below(n);
            char c = alphabet[test_rand_below(sizeof alphabet - 1)];
            if (test_rand() % 4 == 0 && n > 1) memmove(buf + at, buf + at + 1, --n - at); /* delete */
            else buf[at] = c;                                                         /* replace */
        }
        fti_policy *p = NULL;
        fti_status st = fti_policy_parse(&p, buf, n, "m");
        CHECK(st == FTI_OK || (st == FTI_ERR_POLICY && strncmp(fti_last_error(), "m: ", 3) == 0));
        if (st) continue;
        accepted++;
        char *c1 = NULL, *c2 = NULL;
        size_t n1, n2;
        fti_policy *q = NULL;
        CHECK(fti_policy_canonical(&c1, &n1, p) == FTI_OK);
        CHECK(fti_policy_parse(&q, c1, n1, "c") == FTI_OK);
        CHECK(fti_policy_canonical(&c2, &n2, q) == FTI_OK && n1 == n2 && memcmp(c1, c2, n1) == 0);
        free(c1);
        free(c2);
        fti_policy_free(p);
        fti_policy_free(q);
    }
    CHECK(accepted > 100); /* the edits do not only break the syntax */
}

static void test_policy__builder_checks_like_parser(void) {
    fti_policy *p = NULL;
    CHECK(fti_policy_new(&p, "gen") == FTI_OK);
    fti_requirement q = fti_requirement_frozen();
    q.flags = FTI_REQ_FROZEN | FTI_REQ_NORM;
    q.norm = (fti_bound){FTI_BOUND_ABS, 1};
    CHECK(fti_policy_add_rule(p, "a", &q, NULL) == FTI_ERR_POLICY && error_has("gen: rule 0 (a): frozen", NULL));
    q.flags = FTI_REQ_NORM;
    q.norm.value = NAN;
    CHECK(fti_policy_add_rule(p, "a", &q, NULL) == FTI_ERR_POLICY && error_has("rule 0 (a): norm", NULL));
    q.norm.value = INFINITY;
    CHECK(fti_policy_add_rule(p, "a", &q, NULL) == FTI_ERR_POLICY);
    q.norm.value = -0.0;
    CHECK(fti_policy_add_rule(p, "a", &q, NULL) == FTI_OK && !signbit(p->rules[0].req.norm.value));
    q.flags = FTI_REQ_RANK;
    q.r = 0;
    CHECK(fti_policy_add_rule(p, "b", &q, NULL) == FTI_ERR_POLICY && error_has("rule 1 (b): rank.r", NULL));
    q.flags = 0;
    CHECK(fti_policy_add_rule(p, "b", &q, NULL) == FTI_ERR_POLICY && error_has("rule 1 (b): no constraint", NULL));
    q.flags = 64;
    CHECK(fti_policy_add_rule(p, "b", &q, NULL) == FTI_ERR_POLICY && error_has("unknown constraint class", NULL));
    CHECK(fti_policy_add_rule(p, "", &q, NULL) == FTI_ERR_POLICY && error_has("rule 1: \"match\"", NULL));
    fti_bound b = {FTI_BOUND_NONE, 0};
    CHECK(fti_policy_add_group(p, "x", &b, NULL) == FTI_ERR_POLICY && error_has("global.total_norm[0] (x)", NULL));
    CHECK(p->n_rules == 1 && p->n_groups == 0);
    fti_policy_free(p);
}

static void test_policy__load_file(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/p.json", test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs("{\"fti_policy\": 1, \"rules\": [{\"match\": \"a\", \"norm\": {\"tau\": -1}}]}", f);
    fclose(f);
    fti_policy *p = NULL;
    CHECK(fti_policy_load(&p, path) == FTI_ERR_POLICY && p == NULL);
    CHECK(error_has(path, ": rule 0 (a): norm", NULL));
    CHECK(fti_policy_load(&p, "/nonexistent/p.json") == FTI_ERR_IO);
    CHECK(error_has("/nonexistent/p.json", NULL));
}

/* ---- resolution -------------------------------------------------------------------------- */

static void test_policy__first_match_wins(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    small_model(l);
    CHECK(resolve_q(&r, HDR "{'match': 'model.layers.1.*', 'norm': {'rho': 0.1}},"
                        "{'match': 'model.layers.*.self_attn.*', 'rank': {'r': 4}},"
                        "{'match': '*', 'sparse': {'k': 10}}]}", l) == FTI_OK);
    fti_unit_policy *u = &r->units[find_unit(l, "model.layers.1.self_attn.q_proj.weight")];
    CHECK(u->rule == 0 && u->req.flags == FTI_REQ_NORM);
    u = &r->units[find_unit(l, "model.layers.0.self_attn.q_proj.weight")];
    CHECK(u->rule == 1 && u->req.flags == FTI_REQ_RANK && u->req.r == 4);
    u = &r->units[find_unit(l, "lm_head.weight")];
    CHECK(u->rule == 2 && u->req.flags == FTI_REQ_SPARSE && u->req.k == 10);
    CHECK(r->n_warnings == 0 && r->n_tensors == l->n);
    fti_policy_resolved_free(r);
    free(l);
}

static void test_policy__unmatched_is_frozen(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    small_model(l);
    CHECK(resolve_q(&r, HDR "{'match': 'lm_head.weight', 'rank': {'r': 8}}]}", l) == FTI_OK);
    for (size_t i = 0; i < l->n; i++) {
        int head = strcmp(l->u[i].name, "lm_head.weight") == 0;
        CHECK(r->units[i].rule == (head ? 0 : FTI_POLICY_IMPLICIT));
        CHECK(r->units[i].req.flags == (head ? FTI_REQ_RANK : FTI_REQ_FROZEN));
    }
    fti_policy_resolved_free(r);
    CHECK(resolve_q(&r, HDR "]}", l) == FTI_OK && r->units[0].req.flags == FTI_REQ_FROZEN);
    fti_policy_resolved_free(r);
    free(l);
}

static void test_policy__glob_semantics(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    MAT(l, 8, 8, "transformer.h.0.attn.c_attn.weight:q");
    MAT(l, 8, 8, "transformer.h.0.attn.c_attn.weight:k");
    MAT(l, 8, 8, "conv/kernel");
    /* '*' crosses '.', ':' and '/'; brackets select letters */
    CHECK(resolve_q(&r, HDR "{'match': '*:[q]', 'rank': {'r': 2}}, {'match': 'transformer*k', 'norm': {'tau': 1}},"
                        "{'match': '*kernel', 'sparse': {'k': 3}}]}", l) == FTI_OK);
    CHECK(r->units[0].rule == 0 && r->units[1].rule == 1 && r->units[2].rule == 2);
    fti_policy_resolved_free(r);
    free(l);
}

static void test_policy__reject_rank_on_vector(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    small_model(l);
    CHECK(resolve_q(&r, HDR "{'match': 'lm_head.*', 'rank': {'r': 4}}]}", l) == FTI_ERR_POLICY && !r);
    CHECK(error_has("test.json: rule 0 (lm_head.*): rank needs a matrix, but tensor lm_head.bias is 1-D", NULL));
    add_unit(l, 1, 1, 0, "scale");
    CHECK(resolve_q(&r, HDR "{'match': 'lm_head.weight', 'frozen': {}}, {'match': 's*', 'rank': {'r': 1}, 'norm': {'tau': 1}}]}", l) ==
          FTI_ERR_POLICY);
    CHECK(error_has("rule 1 (s*): rank needs a matrix, but tensor scale is a scalar", NULL));
    free(l);
}

static void test_policy__reject_rule_matching_nothing(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    small_model(l);
    CHECK(resolve_q(&r, HDR "{'match': '*.q_proj.weight', 'rank': {'r': 4}}, {'match': '*.bias', 'norm': {'rho': 1}},"
                        "{'match': 'model.norm.*', 'norm': {'rho': 1}}, {'match': 'lm_head.*x', 'frozen': {}}]}", l) ==
          FTI_ERR_POLICY);
    CHECK(error_has("test.json: rule 2 (model.norm.*) matches no tensor", NULL));
    free(l);
}

static void test_policy__reject_shadowed_rule(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    small_model(l);
    CHECK(resolve_q(&r, HDR "{'match': '*', 'norm': {'rho': 1}}, {'match': 'lm_head.weight', 'frozen': {}}]}", l) ==
          FTI_ERR_POLICY);
    CHECK(error_has("test.json: rule 1 (lm_head.weight) is shadowed", "lm_head.weight by rule 0 (*)", NULL));
    /* partly shadowed rules are fine: the later rule still takes some tensors */
    CHECK(resolve_q(&r, HDR "{'match': 'model.layers.0.*', 'norm': {'rho': 1}}, {'match': 'model.layers.*', 'frozen': {}}]}",
                    l) == FTI_OK);
    fti_policy_resolved_free(r);
    /* a catch-all after rules covering everything is shadowed too */
    CHECK(resolve_q(&r, HDR "{'match': 'model.*', 'norm': {'rho': 1}}, {'match': 'lm_head.*', 'frozen': {}}, {'match': '*', 'frozen': {}}]}",
                    l) == FTI_ERR_POLICY);
    CHECK(error_has("rule 2 (*) is shadowed", NULL));
    free(l);
}

static void test_policy__reject_group_matching_nothing(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    small_model(l);
    CHECK(resolve_q(&r, HDR "{'match': '*', 'norm': {'rho': 1}}], 'global': {'total_norm': "
                        "[{'match': 'model.*', 'tau': 1}, {'match': 'decoder.*', 'rho': 0.5}]}}", l) == FTI_ERR_POLICY);
    CHECK(error_has("test.json: global.total_norm[1] (decoder.*) matches no tensor", NULL));
    CHECK(resolve_q(&r, HDR "{'match': '*', 'norm': {'rho': 1}}], 'global': {'max_changed_tensors': 2, 'total_norm': "
                        "[{'match': '*.weight', 'tau': 1}]}}", l) == FTI_OK);
    CHECK(r->n_groups == 1 && r->groups[0].n == 7); /* 6 layer weights + lm_head.weight */
    for (size_t i = 0; i < r->groups[0].n; i++) CHECK(strstr(l->u[r->groups[0].units[i]].name, ".weight"));
    fti_policy_resolved_free(r);
    free(l);
}

static void test_policy__vacuous_parameters_clamped(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    small_model(l);
    CHECK(resolve_q(&r, HDR "{'match': '*.bias', 'sparse': {'k': 80}},"
                        "{'match': 'lm_head.weight', 'rank': {'r': 64}}, {'match': '*', 'rank': {'r': 100}, 'norm': {'rho': 1}}"
                        "], 'global': {}}", l) == FTI_ERR_POLICY); /* rank on layernorm vectors */
    CHECK(resolve_q(&r, HDR "{'match': '*.bias', 'sparse': {'k': 80}},"
                        "{'match': 'lm_head.weight', 'rank': {'r': 64}}, {'match': '*.weight', 'sparse': {'k': 5000}}]}", l) ==
          FTI_OK);
    /* mlp.bias has 64 entries (k = 80 vacuous, clamped to 64), lm_head.bias 100 (kept) */
    CHECK(r->units[find_unit(l, "model.layers.0.mlp.bias")].req.k == 64);
    CHECK(r->units[find_unit(l, "lm_head.bias")].req.k == 80);
    CHECK(r->units[find_unit(l, "lm_head.weight")].req.r == 64); /* min(100, 64) = 64: vacuous */
    CHECK(r->units[find_unit(l, "model.layers.0.self_attn.q_proj.weight")].req.k == 4096);
    CHECK(r->n_warnings == 3);
    CHECK(strstr(r->warnings[0], "rule 0 (*.bias): k = 80") && strstr(r->warnings[0], "2 of its 3"));
    CHECK(strstr(r->warnings[1], "rule 1 (lm_head.weight): r = 64") && strstr(r->warnings[1], "100 x 64"));
    CHECK(strstr(r->warnings[2], "rule 2 (*.weight): k = 5000") && strstr(r->warnings[2], "vacuous"));
    fti_policy_resolved_free(r);
    free(l);
}

static void test_policy__tensor_index_of_slices(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    const char *sfx[] = {"q", "k", "v"};
    for (int i = 0; i < 3; i++) {
        fti_policy_unit *u = MAT(l, 64, 64, "h.0.attn.c_attn.weight:%s", sfx[i]);
        u->tensor = "h.0.attn.c_attn.weight";
    }
    MAT(l, 64, 64, "h.0.attn.c_proj.weight");
    CHECK(resolve_q(&r, HDR "{'match': '*', 'norm': {'tau': 1}}]}", l) == FTI_OK);
    CHECK(r->n_tensors == 2);
    CHECK(r->units[0].tensor == r->units[1].tensor && r->units[1].tensor == r->units[2].tensor);
    CHECK(r->units[3].tensor != r->units[0].tensor && r->units[3].tensor < 2 && r->units[0].tensor < 2);
    fti_policy_resolved_free(r);
    free(l);
}

static void test_policy__reject_invalid_units(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy_resolved *r = NULL;
    small_model(l);
    MAT(l, 2, 2, "lm_head.weight");
    CHECK(resolve_q(&r, HDR "]}", l) == FTI_ERR_ARG && error_has("duplicate unit name lm_head.weight", NULL));
    l->n--;
    MAT(l, 0, 2, "empty");
    CHECK(resolve_q(&r, HDR "]}", l) == FTI_ERR_ARG && error_has("unit empty has an invalid shape", NULL));
    free(l);
}

/* ---- canonical form and hash ------------------------------------------------------------- */

static int hash_q(fti_digest *d, const char *text) {
    fti_policy *p = NULL;
    fti_status st = parse_q(&p, text);
    if (!st) st = fti_policy_hash(d, p);
    fti_policy_free(p);
    if (st) fprintf(stderr, "  %s\n  for %s\n", fti_last_error(), text);
    return st == FTI_OK;
}

#define BASE_POLICY                                                                                 \
    HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': "   \
        "{'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}},"          \
        "{'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}],"  \
        "'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}"

static void test_policy__canonical_stable_under_reformatting(void) {
    fti_digest a, b;
    CHECK(hash_q(&a, BASE_POLICY));
    static const char *const same[] = {
        /* whitespace, key order, number spelling, escapes, descriptions, explicit defaults */
        "{\n  'global' : {'total_norm': [{'tau': 3.0, 'match': 'model.*', 'description': 'group'}], 'max_changed_tensors': 4},\n"
        "  'rules': [\n"
        "    {'rank': {'residual': {'frobenius': {'relative': 4e-3}}, 'r': 16}, 'match': 'model.layers.*.self_attn.[qkvo]_proj.weight'},\n"
        "    {'norm': {'tau': 0.50}, 'match': '*.bias', 'description': 'biases'},\n"
        "    {'sparse': {'k': 1000}, 'match': 'lm_\\u0068ead.weight'},\n"
        "    {'norm': {'rho': 1e-1}, 'rank': {'r': 8, 'residual': 'none'}, 'match': 'x'}\n"
        "  ],\n  'description': 'same meaning', 'fti_policy': 1\n}\n",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': "
            "{'frobenius': {'relative': 0.0040}}}}, {'match': '*.bias', 'norm': {'tau': 5e-1}},"
            "{'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8, 'residual': 'none'}, 'norm': {'rho': 0.1}}],"
            "'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 30e-1}]}}",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        CHECK(hash_q(&b, same[i]));
        CHECK(fti_digest_eq(&a, &b));
    }
    /* explicit "nothing" equals absent */
    CHECK(hash_q(&a, HDR "{'match': 'a', 'frozen': {}}]}"));
    CHECK(hash_q(&b, HDR "{'match': 'a', 'frozen': {}}], 'global': {'max_changed_tensors': null, 'total_norm': []}}"));
    CHECK(fti_digest_eq(&a, &b));
    CHECK(hash_q(&b, HDR "{'match': 'a', 'frozen': {}}], 'global': {}}"));
    CHECK(fti_digest_eq(&a, &b));
}

static void test_policy__canonical_changes_with_every_parameter(void) {
    static const char *const variants[] = {
        BASE_POLICY,
        /* each differs from BASE_POLICY in one semantic detail */
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 17, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'absolute': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.0040000000000000009}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkv]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'rho': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 999}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}, 'norm': {'tau': 1}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 5, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'rho': 3}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}, {'match': 'x', 'tau': 1}]}}",
        HDR "{'match': 'model.layers.*.self_attn.[qkvo]_proj.weight', 'rank': {'r': 16, 'residual': {'frobenius': {'relative': 0.004}}}}, {'match': '*.bias', 'norm': {'tau': 0.5}}, {'match': 'lm_head.weight', 'sparse': {'k': 1000}}, {'match': 'x', 'rank': {'r': 8}, 'norm': {'rho': 0.1}}, {'match': 'y', 'frozen': {}}], 'global': {'max_changed_tensors': 4, 'total_norm': [{'match': 'model.*', 'tau': 3}]}}",
    };
    enum { N = sizeof variants / sizeof variants[0] };
    fti_digest d[N];
    for (size_t i = 0; i < N; i++) CHECK(hash_q(&d[i], variants[i]));
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            if (fti_digest_eq(&d[i], &d[j])) {
                fprintf(stderr, "  variants %zu and %zu hash the same\n", i, j);
                CHECK(0);
            }
    /* one ulp of a bound changes the hash */
    fti_policy *p = NULL;
    fti_digest h1, h2;
    CHECK(parse_q(&p, BASE_POLICY) == FTI_OK);
    CHECK(fti_policy_hash(&h1, p) == FTI_OK);
    p->rules[1].req.norm.value = nextafter(0.5, 1);
    CHECK(fti_policy_hash(&h2, p) == FTI_OK && !fti_digest_eq(&h1, &h2));
    fti_policy_free(p);
}

static void test_policy__canonical_text_and_round_trip(void) {
    fti_policy *p = NULL, *q = NULL;
    char *c1 = NULL, *c2 = NULL, *pretty = NULL;
    size_t n1, n2;
    CHECK(parse_q(&p, BASE_POLICY) == FTI_OK);
    CHECK(fti_policy_canonical(&c1, &n1, p) == FTI_OK && strlen(c1) == n1);
    static const char expect[] =
        "{\"fti_policy\":1,\"global\":{\"max_changed_tensors\":4,\"total_norm\":[{\"match\":\"model.*\",\"tau\":3.0}]},"
        "\"rules\":[{\"match\":\"model.layers.*.self_attn.[qkvo]_proj.weight\",\"rank\":{\"r\":16,\"residual\":"
        "{\"frobenius\":{\"relative\":0.0040000000000000001}}}},{\"match\":\"*.bias\",\"norm\":{\"tau\":0.5}},"
        "{\"match\":\"lm_head.weight\",\"sparse\":{\"k\":1000}},{\"match\":\"x\",\"norm\":{\"rho\":0.10000000000000001},"
        "\"rank\":{\"r\":8,\"residual\":\"none\"}}]}";
    if (strcmp(c1, expect) != 0) fprintf(stderr, "  canonical: %s\n", c1);
    CHECK(strcmp(c1, expect) == 0);
    /* the canonical text parses back to itself */
    CHECK(fti_policy_parse(&q, c1, n1, "canon") == FTI_OK);
    CHECK(fti_policy_canonical(&c2, &n2, q) == FTI_OK && n1 == n2 && memcmp(c1, c2, n1) == 0);
    fti_policy_free(q);
    free(c2);
    /* so does the readable form */
    CHECK(fti_policy_set_description(p, "a \"quoted\" note") == FTI_OK);
    CHECK(fti_policy_to_json(&pretty, p) == FTI_OK);
    CHECK(strstr(pretty, "\"tau\": 0.5") && strstr(pretty, "\"relative\": 0.004\n") && pretty[strlen(pretty) - 1] == '\n');
    CHECK(!strstr(pretty, "\"none\"")); /* defaults omitted */
    CHECK(fti_policy_parse(&q, pretty, strlen(pretty), "pretty") == FTI_OK);
    CHECK(fti_policy_canonical(&c2, &n2, q) == FTI_OK && n1 == n2 && memcmp(c1, c2, n1) == 0);
    CHECK(strcmp(q->description, "a \"quoted\" note") == 0);
    fti_policy_free(q);
    fti_policy_free(p);
    free(c1);
    free(c2);
    free(pretty);
}

static void test_policy__hash_matches_sha256_of_canonical(void) {
    fti_policy *p = NULL;
    char *c = NULL;
    size_t n;
    fti_digest a, b;
    CHECK(parse_q(&p, "{'fti_policy': 1, 'rules': []}") == FTI_OK);
    CHECK(fti_policy_canonical(&c, &n, p) == FTI_OK);
    CHECK(strcmp(c, "{\"fti_policy\":1,\"global\":{\"max_changed_tensors\":null,\"total_norm\":[]},\"rules\":[]}") == 0);
    CHECK(fti_policy_hash(&a, p) == FTI_OK);
    fti_sha256(&b, c, n);
    CHECK(fti_digest_eq(&a, &b));
    fti_policy_free(p);
    free(c);
}

/* ---- exact bounds ------------------------------------------------------------------------ */

#define U128(hi, lo) (((fti_u128)(hi) << 64) | (fti_u128)(lo))
struct abs_vector {
    double tau;
    int s;
    struct { uint64_t hi, lo; } b;
};
struct rel_vector {
    struct { uint64_t hi, lo; } x;
    int e;
    struct { uint64_t hi, lo; } w2;
    double rho;
    int ok;
};

/* Generated by this Python script (exact rationals: Fraction(float) is the float's exact value);
 * do not edit by hand.
 *
 * from fractions import Fraction as F
 * import math, random
 * MAX = 2**128 - 1
 * def h(x): return "{0x%xull, 0x%xull}" % (x >> 64, x & (2**64 - 1))
 * def out(name, rows):
 *     print("static const %s[] = {" % name)
 *     for i in range(0, len(rows), 2): print("    " + " ".join(r + "," for r in rows[i:i + 2]))
 *     print("};")
 * random.seed(20240611)
 * taus = [0.0, 5e-324, 1e-300, 2.0**-60, 0.1, 1/3, 0.5, 1.0, 1.5, 0.004, 1e10, 2.0**64,
 *         1e300, 1.7976931348623157e308]
 * rows = [(t, s) for t in taus for s in [-200, -31, -1, 0, 7, 64]]
 * rows += [(math.ldexp(random.random(), random.randint(-80, 80)), random.randint(-120, 40))
 *          for _ in range(24)]
 * out("struct abs_vector ABS_VECTORS",
 *     ["{%s, %d, %s}" % (float.hex(t), s, h(min(math.floor(F(t)**2 / F(4)**s), MAX))) for t, s in rows])
 * rrows = []
 * for rho in [0.0, 5e-324, 2.0**-7, 0.004, 0.1, 1/3, 1.0, 3.0, 1e10, 1e300]:
 *     for _ in range(3):
 *         w = random.choice([1, random.getrandbits(40), random.getrandbits(100), MAX])
 *         e = random.choice([0, 0, -2, -32, 10, -100])
 *         th = min(math.floor(F(rho)**2 * w / F(2)**e), MAX)
 *         for x in sorted({th, min(th + 1, MAX), max(th - 1, 0)}):
 *             ok = int(F(x) * F(2)**e <= F(rho)**2 * w)
 *             rrows.append("{%s, %d, %s, %s, %d}" % (h(x), e, h(w), float.hex(rho), ok))
 * out("struct rel_vector REL_VECTORS", rrows)
 */
static const struct abs_vector ABS_VECTORS[] = {
    {0x0.0p+0, -200, {0x0ull, 0x0ull}}, {0x0.0p+0, -31, {0x0ull, 0x0ull}},
    {0x0.0p+0, -1, {0x0ull, 0x0ull}}, {0x0.0p+0, 0, {0x0ull, 0x0ull}},
    {0x0.0p+0, 7, {0x0ull, 0x0ull}}, {0x0.0p+0, 64, {0x0ull, 0x0ull}},
    {0x0.0000000000001p-1022, -200, {0x0ull, 0x0ull}}, {0x0.0000000000001p-1022, -31, {0x0ull, 0x0ull}},
    {0x0.0000000000001p-1022, -1, {0x0ull, 0x0ull}}, {0x0.0000000000001p-1022, 0, {0x0ull, 0x0ull}},
    {0x0.0000000000001p-1022, 7, {0x0ull, 0x0ull}}, {0x0.0000000000001p-1022, 64, {0x0ull, 0x0ull}},
    {0x1.56e1fc2f8f359p-997, -200, {0x0ull, 0x0ull}}, {0x1.56e1fc2f8f359p-997, -31, {0x0ull, 0x0ull}},
    {0x1.56e1fc2f8f359p-997, -1, {0x0ull, 0x0ull}}, {0x1.56e1fc2f8f359p-997, 0, {0x0ull, 0x0ull}},
    {0x1.56e1fc2f8f359p-997, 7, {0x0ull, 0x0ull}}, {0x1.56e1fc2f8f359p-997, 64, {0x0ull, 0x0ull}},
    {0x1.0000000000000p-60, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.0000000000000p-60, -31, {0x0ull, 0x0ull}},
    {0x1.0000000000000p-60, -1, {0x0ull, 0x0ull}}, {0x1.0000000000000p-60, 0, {0x0ull, 0x0ull}},
    {0x1.0000000000000p-60, 7, {0x0ull, 0x0ull}}, {0x1.0000000000000p-60, 64, {0x0ull, 0x0ull}},
    {0x1.999999999999ap-4, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.999999999999ap-4, -31, {0x0ull, 0xa3d70a3d70a3dcull}},
    {0x1.999999999999ap-4, -1, {0x0ull, 0x0ull}}, {0x1.999999999999ap-4, 0, {0x0ull, 0x0ull}},
    {0x1.999999999999ap-4, 7, {0x0ull, 0x0ull}}, {0x1.999999999999ap-4, 64, {0x0ull, 0x0ull}},
    {0x1.5555555555555p-2, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.5555555555555p-2, -31, {0x0ull, 0x71c71c71c71c6e3ull}},
    {0x1.5555555555555p-2, -1, {0x0ull, 0x0ull}}, {0x1.5555555555555p-2, 0, {0x0ull, 0x0ull}},
    {0x1.5555555555555p-2, 7, {0x0ull, 0x0ull}}, {0x1.5555555555555p-2, 64, {0x0ull, 0x0ull}},
    {0x1.0000000000000p-1, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.0000000000000p-1, -31, {0x0ull, 0x1000000000000000ull}},
    {0x1.0000000000000p-1, -1, {0x0ull, 0x1ull}}, {0x1.0000000000000p-1, 0, {0x0ull, 0x0ull}},
    {0x1.0000000000000p-1, 7, {0x0ull, 0x0ull}}, {0x1.0000000000000p-1, 64, {0x0ull, 0x0ull}},
    {0x1.0000000000000p+0, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.0000000000000p+0, -31, {0x0ull, 0x4000000000000000ull}},
    {0x1.0000000000000p+0, -1, {0x0ull, 0x4ull}}, {0x1.0000000000000p+0, 0, {0x0ull, 0x1ull}},
    {0x1.0000000000000p+0, 7, {0x0ull, 0x0ull}}, {0x1.0000000000000p+0, 64, {0x0ull, 0x0ull}},
    {0x1.8000000000000p+0, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.8000000000000p+0, -31, {0x0ull, 0x9000000000000000ull}},
    {0x1.8000000000000p+0, -1, {0x0ull, 0x9ull}}, {0x1.8000000000000p+0, 0, {0x0ull, 0x2ull}},
    {0x1.8000000000000p+0, 7, {0x0ull, 0x0ull}}, {0x1.8000000000000p+0, 64, {0x0ull, 0x0ull}},
    {0x1.0624dd2f1a9fcp-8, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.0624dd2f1a9fcp-8, -31, {0x0ull, 0x431bde82d7b6ull}},
    {0x1.0624dd2f1a9fcp-8, -1, {0x0ull, 0x0ull}}, {0x1.0624dd2f1a9fcp-8, 0, {0x0ull, 0x0ull}},
    {0x1.0624dd2f1a9fcp-8, 7, {0x0ull, 0x0ull}}, {0x1.0624dd2f1a9fcp-8, 64, {0x0ull, 0x0ull}},
    {0x1.2a05f20000000p+33, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.2a05f20000000p+33, -31, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.2a05f20000000p+33, -1, {0x15ull, 0xaf1d78b58c400000ull}}, {0x1.2a05f20000000p+33, 0, {0x5ull, 0x6bc75e2d63100000ull}},
    {0x1.2a05f20000000p+33, 7, {0x0ull, 0x15af1d78b58c40ull}}, {0x1.2a05f20000000p+33, 64, {0x0ull, 0x0ull}},
    {0x1.0000000000000p+64, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.0000000000000p+64, -31, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.0000000000000p+64, -1, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.0000000000000p+64, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.0000000000000p+64, 7, {0x4000000000000ull, 0x0ull}}, {0x1.0000000000000p+64, 64, {0x0ull, 0x1ull}},
    {0x1.7e43c8800759cp+996, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.7e43c8800759cp+996, -31, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.7e43c8800759cp+996, -1, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.7e43c8800759cp+996, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.7e43c8800759cp+996, 7, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.7e43c8800759cp+996, 64, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.fffffffffffffp+1023, -200, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.fffffffffffffp+1023, -31, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.fffffffffffffp+1023, -1, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.fffffffffffffp+1023, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.fffffffffffffp+1023, 7, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.fffffffffffffp+1023, 64, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.3736267469b95p+5, -54, {0x5e952738c5f0e7ull, 0xb82fd682712e4000ull}}, {0x1.9e184dc996fb6p+12, -26, {0x29ddull, 0x29de6b1c43d33a78ull}},
    {0x1.56b03b0231a88p-23, -43, {0x0ull, 0x1cabb56fb0dull}}, {0x1.cd7475a608efap-50, -108, {0x33fcca4b2d0b84ull, 0xf439f535a4c24000ull}},
    {0x1.a0d11f2dd7168p-6, 34, {0x0ull, 0x0ull}}, {0x1.58d0025d04b98p-53, -113, {0x1d06faf5dd3dfcbull, 0x4f54dd526a400000ull}},
    {0x1.9faf9453a2f28p-83, -60, {0x0ull, 0x0ull}}, {0x1.330d18a68a678p+24, -18, {0x170486ull, 0x9caf33df1ce310dbull}},
    {0x1.ae4d46d178400p+35, 39, {0x0ull, 0x0ull}}, {0x1.5ebb176ebb379p+14, -15, {0x0ull, 0x782107338175a19ull}},
    {0x1.defb32fe0b559p-18, -106, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.e3e0e86fd05b0p+65, -54, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.7b4235a3b1aa4p+14, -62, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.aafb95cdf2643p+55, -82, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.decbdadb6ee32p-67, -24, {0x0ull, 0x0ull}}, {0x1.ef6882a1c52c0p+46, -17, {0xefad54f5ffa6438eull, 0x924d2fe400000000ull}},
    {0x1.7203e68c33becp+24, -8, {0x2ull, 0x16cf467c7c7cd33bull}}, {0x1.531b12e50d590p-67, -91, {0x0ull, 0x1c130b6e79f0full}},
    {0x1.21147c669c860p-35, -105, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.9863af6a46d3ap-7, -37, {0x0ull, 0x28b7de5f3e627ceaull}},
    {0x1.678f710d57329p+52, -118, {0xffffffffffffffffull, 0xffffffffffffffffull}}, {0x1.5675f9eb22112p+56, -116, {0xffffffffffffffffull, 0xffffffffffffffffull}},
    {0x1.e6734d0f3226dp-18, -28, {0x0ull, 0x39c59full}}, {0x1.7d391662ccfd6p+52, -11, {0x8decbe574407a67cull, 0x78a892f1b9000000ull}},
};
static const struct rel_vector REL_VECTORS[] = {
    {{0x0ull, 0x0ull}, -100, {0x0ull, 0x1ull}, 0x0.0p+0, 1}, {{0x0ull, 0x1ull}, -100, {0x0ull, 0x1ull}, 0x0.0p+0, 0},
    {{0x0ull, 0x0ull}, 10, {0x0ull, 0x1ull}, 0x0.0p+0, 1}, {{0x0ull, 0x1ull}, 10, {0x0ull, 0x1ull}, 0x0.0p+0, 0},
    {{0x0ull, 0x0ull}, 0, {0x0ull, 0x74bbb458d3ull}, 0x0.0p+0, 1}, {{0x0ull, 0x1ull}, 0, {0x0ull, 0x74bbb458d3ull}, 0x0.0p+0, 0},
    {{0x0ull, 0x0ull}, -32, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x0.0000000000001p-1022, 1}, {{0x0ull, 0x1ull}, -32, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x0.0000000000001p-1022, 0},
    {{0x0ull, 0x0ull}, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x0.0000000000001p-1022, 1}, {{0x0ull, 0x1ull}, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x0.0000000000001p-1022, 0},
    {{0x0ull, 0x0ull}, -100, {0x0ull, 0x1ull}, 0x0.0000000000001p-1022, 1}, {{0x0ull, 0x1ull}, -100, {0x0ull, 0x1ull}, 0x0.0000000000001p-1022, 0},
    {{0x0ull, 0x3ffffull}, -32, {0x0ull, 0x1ull}, 0x1.0000000000000p-7, 1}, {{0x0ull, 0x40000ull}, -32, {0x0ull, 0x1ull}, 0x1.0000000000000p-7, 1},
    {{0x0ull, 0x40001ull}, -32, {0x0ull, 0x1ull}, 0x1.0000000000000p-7, 0}, {{0x2fc6aeull, 0x1ef8642befa1a8a8ull}, 0, {0xbf1ab87beull, 0x190afbe86a2a4facull}, 0x1.0000000000000p-7, 1},
    {{0x2fc6aeull, 0x1ef8642befa1a8a9ull}, 0, {0xbf1ab87beull, 0x190afbe86a2a4facull}, 0x1.0000000000000p-7, 1}, {{0x2fc6aeull, 0x1ef8642befa1a8aaull}, 0, {0xbf1ab87beull, 0x190afbe86a2a4facull}, 0x1.0000000000000p-7, 0},
    {{0x0ull, 0x2d571b3c307ffffull}, -32, {0x0ull, 0xb55c6cf0c2ull}, 0x1.0000000000000p-7, 1}, {{0x0ull, 0x2d571b3c3080000ull}, -32, {0x0ull, 0xb55c6cf0c2ull}, 0x1.0000000000000p-7, 1},
    {{0x0ull, 0x2d571b3c3080001ull}, -32, {0x0ull, 0xb55c6cf0c2ull}, 0x1.0000000000000p-7, 0}, {{0x7cull, 0x7977dd2909ccf796ull}, 10, {0x1dad51d4eull, 0x98dc6d62bea75defull}, 0x1.0624dd2f1a9fcp-8, 1},
    {{0x7cull, 0x7977dd2909ccf797ull}, 10, {0x1dad51d4eull, 0x98dc6d62bea75defull}, 0x1.0624dd2f1a9fcp-8, 1}, {{0x7cull, 0x7977dd2909ccf798ull}, 10, {0x1dad51d4eull, 0x98dc6d62bea75defull}, 0x1.0624dd2f1a9fcp-8, 0},
    {{0x0ull, 0x10c6eull}, -32, {0x0ull, 0x1ull}, 0x1.0624dd2f1a9fcp-8, 1}, {{0x0ull, 0x10c6full}, -32, {0x0ull, 0x1ull}, 0x1.0624dd2f1a9fcp-8, 1},
    {{0x0ull, 0x10c70ull}, -32, {0x0ull, 0x1ull}, 0x1.0624dd2f1a9fcp-8, 0}, {{0x4f2fbull, 0x3fb95dcc3fc7cc9full}, 0, {0x4b849a411ull, 0xa377cf5a8a356a49ull}, 0x1.0624dd2f1a9fcp-8, 1},
    {{0x4f2fbull, 0x3fb95dcc3fc7cca0ull}, 0, {0x4b849a411ull, 0xa377cf5a8a356a49ull}, 0x1.0624dd2f1a9fcp-8, 1}, {{0x4f2fbull, 0x3fb95dcc3fc7cca1ull}, 0, {0x4b849a411ull, 0xa377cf5a8a356a49ull}, 0x1.0624dd2f1a9fcp-8, 0},
    {{0x0ull, 0x0ull}, -2, {0x0ull, 0x1ull}, 0x1.999999999999ap-4, 1}, {{0x0ull, 0x1ull}, -2, {0x0ull, 0x1ull}, 0x1.999999999999ap-4, 0},
    {{0xffffffffffffffffull, 0xfffffffffffffffeull}, -32, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.999999999999ap-4, 1}, {{0xffffffffffffffffull, 0xffffffffffffffffull}, -32, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.999999999999ap-4, 1},
    {{0xffffffffffffffffull, 0xfffffffffffffffeull}, -100, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.999999999999ap-4, 1}, {{0xffffffffffffffffull, 0xffffffffffffffffull}, -100, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.999999999999ap-4, 1},
    {{0x70a2ffull, 0xb2f2880e20b64946ull}, 10, {0xfd6ebf52aull, 0x1b227b5101f752bcull}, 0x1.5555555555555p-2, 1}, {{0x70a2ffull, 0xb2f2880e20b64947ull}, 10, {0xfd6ebf52aull, 0x1b227b5101f752bcull}, 0x1.5555555555555p-2, 1},
    {{0x70a2ffull, 0xb2f2880e20b64948ull}, 10, {0xfd6ebf52aull, 0x1b227b5101f752bcull}, 0x1.5555555555555p-2, 0}, {{0x0ull, 0x239d788ull}, 10, {0x0ull, 0x50224f4790ull}, 0x1.5555555555555p-2, 1},
    {{0x0ull, 0x239d789ull}, 10, {0x0ull, 0x50224f4790ull}, 0x1.5555555555555p-2, 1}, {{0x0ull, 0x239d78aull}, 10, {0x0ull, 0x50224f4790ull}, 0x1.5555555555555p-2, 0},
    {{0x1c71c71c7ull, 0x1c71b8e38e38e38dull}, -100, {0x0ull, 0x1ull}, 0x1.5555555555555p-2, 1}, {{0x1c71c71c7ull, 0x1c71b8e38e38e38eull}, -100, {0x0ull, 0x1ull}, 0x1.5555555555555p-2, 1},
    {{0x1c71c71c7ull, 0x1c71b8e38e38e38full}, -100, {0x0ull, 0x1ull}, 0x1.5555555555555p-2, 0}, {{0xffffffffffffffffull, 0xfffffffffffffffeull}, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.0000000000000p+0, 1},
    {{0xffffffffffffffffull, 0xffffffffffffffffull}, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.0000000000000p+0, 1}, {{0x0ull, 0xffffffffull}, -32, {0x0ull, 0x1ull}, 0x1.0000000000000p+0, 1},
    {{0x0ull, 0x100000000ull}, -32, {0x0ull, 0x1ull}, 0x1.0000000000000p+0, 1}, {{0x0ull, 0x100000001ull}, -32, {0x0ull, 0x1ull}, 0x1.0000000000000p+0, 0},
    {{0xffffffffffffffffull, 0xfffffffffffffffeull}, -2, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.0000000000000p+0, 1}, {{0xffffffffffffffffull, 0xffffffffffffffffull}, -2, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.0000000000000p+0, 1},
    {{0xffffffffffffffffull, 0xfffffffffffffffeull}, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.8000000000000p+1, 1}, {{0xffffffffffffffffull, 0xffffffffffffffffull}, 0, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.8000000000000p+1, 1},
    {{0x0ull, 0x23ull}, -2, {0x0ull, 0x1ull}, 0x1.8000000000000p+1, 1}, {{0x0ull, 0x24ull}, -2, {0x0ull, 0x1ull}, 0x1.8000000000000p+1, 1},
    {{0x0ull, 0x25ull}, -2, {0x0ull, 0x1ull}, 0x1.8000000000000p+1, 0}, {{0xffffffffffffffffull, 0xfffffffffffffffeull}, -32, {0xcd1b7b383ull, 0x8f2d28381afde707ull}, 0x1.8000000000000p+1, 1},
    {{0xffffffffffffffffull, 0xffffffffffffffffull}, -32, {0xcd1b7b383ull, 0x8f2d28381afde707ull}, 0x1.8000000000000p+1, 1}, {{0x3d73639a3bfull, 0x616e5decfa0fffffull}, 0, {0x0ull, 0xb55edd8471ull}, 0x1.2a05f20000000p+33, 1},
    {{0x3d73639a3bfull, 0x616e5decfa100000ull}, 0, {0x0ull, 0xb55edd8471ull}, 0x1.2a05f20000000p+33, 1}, {{0x3d73639a3bfull, 0x616e5decfa100001ull}, 0, {0x0ull, 0xb55edd8471ull}, 0x1.2a05f20000000p+33, 0},
    {{0x88c9c17eull, 0x6a3ae000b95d1bffull}, 10, {0x0ull, 0x64ee8b0ef7ull}, 0x1.2a05f20000000p+33, 1}, {{0x88c9c17eull, 0x6a3ae000b95d1c00ull}, 10, {0x0ull, 0x64ee8b0ef7ull}, 0x1.2a05f20000000p+33, 1},
    {{0x88c9c17eull, 0x6a3ae000b95d1c01ull}, 10, {0x0ull, 0x64ee8b0ef7ull}, 0x1.2a05f20000000p+33, 0}, {{0xffffffffffffffffull, 0xfffffffffffffffeull}, -32, {0xfd85bc787ull, 0x7b89cd3502bf0cddull}, 0x1.2a05f20000000p+33, 1},
    {{0xffffffffffffffffull, 0xffffffffffffffffull}, -32, {0xfd85bc787ull, 0x7b89cd3502bf0cddull}, 0x1.2a05f20000000p+33, 1}, {{0xffffffffffffffffull, 0xfffffffffffffffeull}, -100, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.7e43c8800759cp+996, 1},
    {{0xffffffffffffffffull, 0xffffffffffffffffull}, -100, {0xffffffffffffffffull, 0xffffffffffffffffull}, 0x1.7e43c8800759cp+996, 1}, {{0xffffffffffffffffull, 0xfffffffffffffffeull}, 0, {0x4d30a2b04ull, 0xea3394d743a1fbf9ull}, 0x1.7e43c8800759cp+996, 1},
    {{0xffffffffffffffffull, 0xffffffffffffffffull}, 0, {0x4d30a2b04ull, 0xea3394d743a1fbf9ull}, 0x1.7e43c8800759cp+996, 1}, {{0xffffffffffffffffull, 0xfffffffffffffffeull}, -2, {0x9764fa2d9ull, 0x7bc36d30d4270c0dull}, 0x1.7e43c8800759cp+996, 1},
    {{0xffffffffffffffffull, 0xffffffffffffffffull}, -2, {0x9764fa2d9ull, 0x7bc36d30d4270c0dull}, 0x1.7e43c8800759cp+996, 1},
};

static void test_policy__abs_bound_vectors(void) {
    for (size_t i = 0; i < sizeof ABS_VECTORS / sizeof ABS_VECTORS[0]; i++) {
        const struct abs_vector *v = &ABS_VECTORS[i];
        fti_u128 b = fti_policy_abs_bound(v->tau, v->s);
        if (b != U128(v->b.hi, v->b.lo)) fprintf(stderr, "  vector %zu: tau %a s %d\n", i, v->tau, v->s);
        CHECK(b == U128(v->b.hi, v->b.lo));
    }
}

/* tau = t * 2^s exactly gives B = t^2; one ulp less gives t^2 - 1; one ulp more gives t^2. */
static void test_policy__abs_bound_boundaries(void) {
    for (int i = 0; i < 20000; i++) {
        uint64_t t = 1 + test_rand_below(i % 2 ? (1ull << 26) : 1000); /* t^2 exact in a double's reach */
        int s = (int)test_rand_below(400) - 200;
        double tau = ldexp((double)t, s);
        fti_u128 t2 = (fti_u128)t * t;
        CHECK(fti_policy_abs_bound(tau, s) == t2);
        CHECK(fti_policy_abs_bound(nextafter(tau, 0), s) == t2 - 1);
        CHECK(fti_policy_abs_bound(nextafter(tau, INFINITY), s) == t2);
        /* the same tau in units half as large: (2t)^2 */
        CHECK(fti_policy_abs_bound(tau, s - 1) == 4 * t2);
    }
    /* saturation and degenerate inputs */
    CHECK(fti_policy_abs_bound(ldexp(1, 64), 0) == FTI_POLICY_BOUND_MAX);              /* 2^128 */
    CHECK(fti_policy_abs_bound(nextafter(ldexp(1, 64), 0), 0) < FTI_POLICY_BOUND_MAX); /* < 2^128 */
    CHECK(fti_policy_abs_bound(1.0, -64) == FTI_POLICY_BOUND_MAX);
    CHECK(fti_policy_abs_bound(1.0, -63) == (fti_u128)1 << 126);
    CHECK(fti_policy_abs_bound(1.0, 1) == 0);                        /* 1/4 */
    CHECK(fti_policy_abs_bound(4.9406564584124654e-324, -1074) == 1); /* smallest subnormal */
    CHECK(fti_policy_abs_bound(4.9406564584124654e-324, 0) == 0);
    CHECK(fti_policy_abs_bound(1.7976931348623157e308, 1023) == 3); /* (2 - 2^-52)^2 */
    CHECK(fti_policy_abs_bound(1.7976931348623157e308, 959) == FTI_POLICY_BOUND_MAX);
    CHECK(fti_policy_abs_bound(INFINITY, 0) == FTI_POLICY_BOUND_MAX);
    CHECK(fti_policy_abs_bound(NAN, 0) == 0 && fti_policy_abs_bound(-1.0, 0) == 0);
    CHECK(fti_policy_abs_bound(0.0, -100000) == 0 && fti_policy_abs_bound(1.0, 100000) == 0);
    CHECK(fti_policy_abs_bound(1.0, -100000) == FTI_POLICY_BOUND_MAX);
}

static void test_policy__rel_ok_vectors(void) {
    for (size_t i = 0; i < sizeof REL_VECTORS / sizeof REL_VECTORS[0]; i++) {
        const struct rel_vector *v = &REL_VECTORS[i];
        int ok = fti_policy_rel_ok_exp(U128(v->x.hi, v->x.lo), v->e, U128(v->w2.hi, v->w2.lo), v->rho);
        if (ok != v->ok) fprintf(stderr, "  vector %zu: e %d rho %a\n", i, v->e, v->rho);
        CHECK(ok == v->ok);
        if (v->e == 0) CHECK(fti_policy_rel_ok(U128(v->x.hi, v->x.lo), U128(v->w2.hi, v->w2.lo), v->rho) == v->ok);
    }
}

/* rho = a / 2^j exactly: delta2 * 4^j <= a^2 * w2 decided by 128-bit arithmetic where it fits. */
static void test_policy__rel_ok_boundaries(void) {
    for (int i = 0; i < 20000; i++) {
        uint64_t a = 1 + test_rand_below(1u << 20);
        int j = (int)test_rand_below(20);
        double rho = ldexp((double)a, -j);
        fti_u128 w2 = test_rand() >> test_rand_below(64);
        fti_u128 lim = ((fti_u128)a * a * w2) >> (2 * j); /* floor(rho^2 w2) */
        int exact = (((fti_u128)a * a * w2) & ((((fti_u128)1) << (2 * j)) - 1)) == 0;
        CHECK(fti_policy_rel_ok(lim, w2, rho));
        CHECK(!fti_policy_rel_ok(lim + 1, w2, rho));
        if (lim > 0) CHECK(fti_policy_rel_ok(lim - 1, w2, rho));
        /* a rho one ulp smaller rejects the exact boundary */
        if (exact && lim > 0) CHECK(!fti_policy_rel_ok(lim, w2, nextafter(rho, 0)));
        /* scaling: x * 2^2 <= rho^2 w2  <=>  x <= (rho / 2)^2 w2 */
        fti_u128 x = lim >> 2;
        CHECK(fti_policy_rel_ok_exp(x, 2, w2, rho) == fti_policy_rel_ok(x, w2, rho / 2));
    }
    CHECK(fti_policy_rel_ok(0, 0, 0.0) && !fti_policy_rel_ok(1, 0, 1e300));
    CHECK(fti_policy_rel_ok(FTI_POLICY_BOUND_MAX, 1, INFINITY));
    CHECK(!fti_policy_rel_ok(0, 1, NAN) && !fti_policy_rel_ok(0, 1, -0.5));
    CHECK(fti_policy_rel_ok(FTI_POLICY_BOUND_MAX, FTI_POLICY_BOUND_MAX, 1.0));
    CHECK(!fti_policy_rel_ok(FTI_POLICY_BOUND_MAX, FTI_POLICY_BOUND_MAX - 1, 1.0));
    CHECK(fti_policy_rel_ok_exp(FTI_POLICY_BOUND_MAX, -4096, 1, 5e-324));
    CHECK(!fti_policy_rel_ok_exp(1, 4097, FTI_POLICY_BOUND_MAX, 1.0));
}

static void test_policy__group_ok(void) {
    int ok;
    fti_bound tau = {FTI_BOUND_ABS, 3.0}, rho = {FTI_BOUND_REL, 0.5};
    /* two units: (4 * 4^-1) + (1 * 4^2)... in real units: 4 * 2^-2 + 1 * 2^4 = 1 + 16 = 17 > 9 */
    fti_u128 d[3] = {4, 1, 0}, w[3] = {64, 0, 0};
    int s[3] = {-1, 2, 300};
    CHECK(fti_policy_group_ok(&ok, &tau, d, NULL, s, 2) == FTI_OK && !ok);
    d[1] = 0; /* 1 <= 9 */
    CHECK(fti_policy_group_ok(&ok, &tau, d, NULL, s, 2) == FTI_OK && ok);
    d[0] = 36; /* 9 <= 9 exactly */
    CHECK(fti_policy_group_ok(&ok, &tau, d, NULL, s, 2) == FTI_OK && ok);
    d[0] = 37;
    CHECK(fti_policy_group_ok(&ok, &tau, d, NULL, s, 2) == FTI_OK && !ok);
    /* relative: sum d 4^s <= 1/4 sum w 4^s; w = 64 * 4^-1 = 16 -> limit 4 (d0 = 16 at s = -1) */
    d[0] = 16;
    CHECK(fti_policy_group_ok(&ok, &rho, d, w, s, 2) == FTI_OK && ok);
    d[0] = 17;
    CHECK(fti_policy_group_ok(&ok, &rho, d, w, s, 2) == FTI_OK && !ok);
    /* spans: 301 is fine (< 700), the tiny unit at s = 300 counts fully */
    d[0] = 0, d[2] = 1;
    CHECK(fti_policy_group_ok(&ok, &rho, d, w, s, 3) == FTI_OK && !ok);
    s[2] = 700;
    CHECK(fti_policy_group_ok(&ok, &rho, d, w, s, 3) == FTI_ERR_RANGE && !ok);
    /* an empty group and an infinite bound pass; a NONE bound is an argument error */
    CHECK(fti_policy_group_ok(&ok, &tau, NULL, NULL, NULL, 0) == FTI_OK && ok);
    fti_bound none = {FTI_BOUND_NONE, 0};
    CHECK(fti_policy_group_ok(&ok, &none, d, w, s, 1) == FTI_ERR_ARG && !ok);
    CHECK(fti_policy_group_ok(&ok, &rho, d, NULL, s, 1) == FTI_ERR_ARG);
    /* one unit: agrees with the single-unit helpers */
    for (int i = 0; i < 5000; i++) {
        fti_u128 dd = test_rand() >> test_rand_below(64), ww = test_rand();
        int ss = (int)test_rand_below(100) - 50;
        double t = ldexp((double)(test_rand() >> 11), (int)test_rand_below(80) - 90);
        fti_bound bt = {FTI_BOUND_ABS, t}, br = {FTI_BOUND_REL, t};
        CHECK(fti_policy_group_ok(&ok, &bt, &dd, NULL, &ss, 1) == FTI_OK);
        CHECK(ok == (dd <= fti_policy_abs_bound(t, ss)));
        CHECK(fti_policy_group_ok(&ok, &br, &dd, &ww, &ss, 1) == FTI_OK);
        CHECK(ok == fti_policy_rel_ok(dd, ww, t));
    }
}

/* ---- architectures and presets ----------------------------------------------------------- */

static void llama_units(unit_list *l, int layers) {
    l->n = 0;
    add_unit(l, 1000, 64, 2, "model.embed_tokens.weight");
    for (int i = 0; i < layers; i++) {
        MAT(l, 64, 64, "model.layers.%d.self_attn.q_proj.weight", i);
        MAT(l, 32, 64, "model.layers.%d.self_attn.k_proj.weight", i);
        MAT(l, 32, 64, "model.layers.%d.self_attn.v_proj.weight", i);
        MAT(l, 64, 64, "model.layers.%d.self_attn.o_proj.weight", i);
        MAT(l, 128, 64, "model.layers.%d.mlp.gate_proj.weight", i);
        MAT(l, 128, 64, "model.layers.%d.mlp.up_proj.weight", i);
        MAT(l, 64, 128, "model.layers.%d.mlp.down_proj.weight", i);
        VEC(l, 64, "model.layers.%d.input_layernorm.weight", i);
        VEC(l, 64, "model.layers.%d.post_attention_layernorm.weight", i);
    }
    VEC(l, 64, "model.norm.weight");
    MAT(l, 1000, 64, "lm_head.weight");
    for (size_t i = 0; i < l->n; i++) l->u[i].dtype = "BF16";
}

static void gpt2_units(unit_list *l, int layers) {
    static const char *const qkv[] = {"q", "k", "v"};
    l->n = 0;
    MAT(l, 1000, 64, "transformer.wte.weight");
    MAT(l, 128, 64, "transformer.wpe.weight");
    for (int i = 0; i < layers; i++) {
        VEC(l, 64, "transformer.h.%d.ln_1.weight", i);
        VEC(l, 64, "transformer.h.%d.ln_1.bias", i);
        add_unit(l, 128, 128, 4, "transformer.h.%d.attn.bias", i); /* the causal mask buffer */
        for (int k = 0; k < 3; k++) {
            fti_policy_unit *u = MAT(l, 64, 64, "transformer.h.%d.attn.c_attn.weight:%s", i, qkv[k]);
            snprintf(l->tensors[l->n - 1], sizeof l->tensors[0], "transformer.h.%d.attn.c_attn.weight", i);
            u->tensor = l->tensors[l->n - 1];
        }
        VEC(l, 192, "transformer.h.%d.attn.c_attn.bias", i);
        MAT(l, 64, 64, "transformer.h.%d.attn.c_proj.weight", i);
        VEC(l, 64, "transformer.h.%d.attn.c_proj.bias", i);
        VEC(l, 64, "transformer.h.%d.ln_2.weight", i);
        VEC(l, 64, "transformer.h.%d.ln_2.bias", i);
        MAT(l, 64, 256, "transformer.h.%d.mlp.c_fc.weight", i);
        VEC(l, 256, "transformer.h.%d.mlp.c_fc.bias", i);
        MAT(l, 256, 64, "transformer.h.%d.mlp.c_proj.weight", i);
        VEC(l, 64, "transformer.h.%d.mlp.c_proj.bias", i);
    }
    VEC(l, 64, "transformer.ln_f.weight");
    VEC(l, 64, "transformer.ln_f.bias");
}

/* BERT (prefix "bert.encoder.layer") and ViT (prefix "vit.encoder.layer", attention.attention) */
static void encoder_units(unit_list *l, int layers, int vit) {
    static const char *const qkv[] = {"query", "key", "value"};
    const char *pre = vit ? "vit" : "bert", *att = vit ? "attention.attention" : "attention.self";
    l->n = 0;
    if (vit) {
        add_unit(l, 1, 64, 3, "vit.embeddings.cls_token");
        add_unit(l, 1, 65 * 64, 3, "vit.embeddings.position_embeddings");
        add_unit(l, 64, 3 * 16 * 16, 4, "vit.embeddings.patch_embeddings.projection.weight");
        VEC(l, 64, "vit.embeddings.patch_embeddings.projection.bias");
    } else {
        MAT(l, 1000, 64, "bert.embeddings.word_embeddings.weight");
        MAT(l, 512, 64, "bert.embeddings.position_embeddings.weight");
        VEC(l, 64, "bert.embeddings.LayerNorm.weight");
        VEC(l, 64, "bert.embeddings.LayerNorm.bias");
    }
    for (int i = 0; i < layers; i++) {
        for (int k = 0; k < 3; k++) {
            MAT(l, 64, 64, "%s.encoder.layer.%d.%s.%s.weight", pre, i, att, qkv[k]);
            VEC(l, 64, "%s.encoder.layer.%d.%s.%s.bias", pre, i, att, qkv[k]);
        }
        MAT(l, 64, 64, "%s.encoder.layer.%d.attention.output.dense.weight", pre, i);
        VEC(l, 64, "%s.encoder.layer.%d.attention.output.dense.bias", pre, i);
        MAT(l, 256, 64, "%s.encoder.layer.%d.intermediate.dense.weight", pre, i);
        VEC(l, 256, "%s.encoder.layer.%d.intermediate.dense.bias", pre, i);
        MAT(l, 64, 256, "%s.encoder.layer.%d.output.dense.weight", pre, i);
        VEC(l, 64, "%s.encoder.layer.%d.output.dense.bias", pre, i);
        if (vit) {
            VEC(l, 64, "vit.encoder.layer.%d.layernorm_before.weight", i);
            VEC(l, 64, "vit.encoder.layer.%d.layernorm_before.bias", i);
            VEC(l, 64, "vit.encoder.layer.%d.layernorm_after.weight", i);
            VEC(l, 64, "vit.encoder.layer.%d.layernorm_after.bias", i);
        } else {
            VEC(l, 64, "bert.encoder.layer.%d.attention.output.LayerNorm.weight", i);
            VEC(l, 64, "bert.encoder.layer.%d.attention.output.LayerNorm.bias", i);
            VEC(l, 64, "bert.encoder.layer.%d.output.LayerNorm.weight", i);
            VEC(l, 64, "bert.encoder.layer.%d.output.LayerNorm.bias", i);
        }
    }
    if (vit) {
        VEC(l, 64, "vit.layernorm.weight");
        VEC(l, 64, "vit.layernorm.bias");
    } else {
        MAT(l, 64, 64, "bert.pooler.dense.weight");
        VEC(l, 64, "bert.pooler.dense.bias");
    }
    MAT(l, 10, 64, "classifier.weight");
    VEC(l, 10, "classifier.bias");
}

/* A ResNet-like CNN (torchvision names). */
static void cnn_units(unit_list *l) {
    static const char *const bn[] = {"weight", "bias", "running_mean", "running_var"};
    l->n = 0;
    add_unit(l, 16, 27, 4, "conv1.weight");
    for (int k = 0; k < 4; k++) VEC(l, 16, "bn1.%s", bn[k]);
    for (int s = 1; s <= 4; s++)
        for (int b = 0; b < 2; b++)
            for (int c = 1; c <= 2; c++) {
                add_unit(l, 64, 576, 4, "layer%d.%d.conv%d.weight", s, b, c);
                for (int k = 0; k < 4; k++) VEC(l, 64, "layer%d.%d.bn%d.%s", s, b, c, bn[k]);
            }
    MAT(l, 10, 64, "fc.weight");
    VEC(l, 10, "fc.bias");
}

static void mlp_units(unit_list *l) {
    l->n = 0;
    MAT(l, 128, 64, "fc1.weight");
    VEC(l, 128, "fc1.bias");
    MAT(l, 64, 128, "fc2.weight");
    VEC(l, 64, "fc2.bias");
    MAT(l, 10, 64, "fc3.weight");
    VEC(l, 10, "fc3.bias");
}

/* Generates the preset, checks that its JSON parses and resolves on the units, and returns
 * the resolution (caller frees) and the policy (caller frees). */
static int run_preset(fti_policy **pol, fti_policy_resolved **res, fti_arch *arch, const char *name,
                      const unit_list *l, void (*tweak)(fti_preset_params *)) {
    fti_preset_params pp;
    fti_policy *p = NULL;
    char *json = NULL;
    int ok = 0;
    *pol = NULL;
    *res = NULL;
    if (fti_preset_defaults(&pp, name)) goto out;
    if (tweak) tweak(&pp);
    if (fti_policy_preset(&p, arch, &pp, l->u, l->n)) goto out;
    if (fti_policy_to_json(&json, p)) goto out;
    if (fti_policy_parse(pol, json, strlen(json), name)) goto out;
    if (fti_policy_resolve(res, *pol, l->u, l->n)) goto out;
    ok = (*res)->n_warnings == 0;
out:
    if (!ok) fprintf(stderr, "  preset %s: %s\n%s", name, fti_last_error(), json ? json : "");
    free(json);
    fti_policy_free(p);
    return ok;
}

static int has_rule(const fti_policy *p, const char *match) {
    for (size_t i = 0; i < p->n_rules; i++)
        if (strcmp(p->rules[i].match, match) == 0) return 1;
    fprintf(stderr, "  no rule %s\n", match);
    return 0;
}

static const fti_requirement *req_of(const fti_policy_resolved *r, const unit_list *l, const char *name) {
    size_t i = find_unit(l, name);
    return i < l->n ? &r->units[i].req : NULL;
}

static void test_policy__detect_arch(void) {
    unit_list *l = calloc(1, sizeof *l);
    llama_units(l, 2);
    CHECK(fti_arch_detect(l->u, l->n) == FTI_ARCH_LLAMA);
    gpt2_units(l, 2);
    CHECK(fti_arch_detect(l->u, l->n) == FTI_ARCH_GPT2);
    encoder_units(l, 2, 0);
    CHECK(fti_arch_detect(l->u, l->n) == FTI_ARCH_BERT);
    encoder_units(l, 2, 1);
    CHECK(fti_arch_detect(l->u, l->n) == FTI_ARCH_VIT);
    cnn_units(l);
    CHECK(fti_arch_detect(l->u, l->n) == FTI_ARCH_CNN);
    mlp_units(l);
    CHECK(fti_arch_detect(l->u, l->n) == FTI_ARCH_MLP);
    l->u[0].role = FTI_ROLE_CONV;
    CHECK(fti_arch_detect(l->u, l->n) == FTI_ARCH_CNN);
    l->n = 0;
    VEC(l, 4, "scale");
    CHECK(fti_arch_detect(l->u, l->n) == FTI_ARCH_UNKNOWN && fti_arch_detect(NULL, 0) == FTI_ARCH_UNKNOWN);
    CHECK(strcmp(fti_arch_name(FTI_ARCH_GPT2), "gpt2") == 0 && strcmp(fti_arch_name(FTI_ARCH_UNKNOWN), "unknown") == 0);
    free(l);
}

static void test_policy__classify_units(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_unit_class c;
    gpt2_units(l, 12);
    fti_arch_classify(&c, FTI_ARCH_GPT2, &l->u[find_unit(l, "transformer.h.11.attn.c_attn.weight:k")]);
    CHECK(c.attention && !c.bias && !c.norm && !c.head && c.layer == 11 && c.layer_prefix == strlen("transformer.h.11."));
    fti_arch_classify(&c, FTI_ARCH_GPT2, &l->u[find_unit(l, "transformer.h.3.attn.bias")]);
    CHECK(!c.attention && !c.bias && c.layer == 3); /* the mask: neither a projection nor a bias vector */
    fti_arch_classify(&c, FTI_ARCH_GPT2, &l->u[find_unit(l, "transformer.h.3.ln_2.bias")]);
    CHECK(c.norm && c.bias && !c.attention);
    fti_arch_classify(&c, FTI_ARCH_GPT2, &l->u[find_unit(l, "transformer.ln_f.weight")]);
    CHECK(c.norm && c.head && c.layer == -1);
    fti_arch_classify(&c, FTI_ARCH_GPT2, &l->u[find_unit(l, "transformer.wte.weight")]);
    CHECK(c.embedding && !c.head);
    cnn_units(l);
    fti_arch_classify(&c, FTI_ARCH_CNN, &l->u[find_unit(l, "layer4.1.bn2.running_var")]);
    CHECK(c.norm && !c.bias && c.layer == 4 && c.layer_prefix == 6);
    fti_arch_classify(&c, FTI_ARCH_CNN, &l->u[find_unit(l, "fc.bias")]);
    CHECK(c.bias && c.head && !c.norm);
    /* Keras / Paddle style names */
    l->n = 0;
    VEC(l, 32, "conv_dw_1_bn/batchnorm_1/sub");
    VEC(l, 32, "block_10_project_BN/beta");
    VEC(l, 60, "batch_norm2d_148.b_0");
    VEC(l, 60, "conv2d_157.b_0");
    fti_arch_classify(&c, FTI_ARCH_CNN, &l->u[0]);
    CHECK(c.norm && !c.bias && c.layer == 1);
    fti_arch_classify(&c, FTI_ARCH_CNN, &l->u[1]);
    CHECK(c.norm && c.bias && c.layer == 10);
    fti_arch_classify(&c, FTI_ARCH_CNN, &l->u[2]);
    CHECK(c.norm && c.bias && c.layer == 148);
    fti_arch_classify(&c, FTI_ARCH_CNN, &l->u[3]);
    CHECK(!c.norm && c.bias && c.layer == 157);
    l->u[3].role = FTI_ROLE_NORM;
    fti_arch_classify(&c, FTI_ARCH_CNN, &l->u[3]);
    CHECK(c.norm);
    free(l);
}

static void test_policy__preset_defaults(void) {
    fti_preset_params pp;
    CHECK(fti_preset_defaults(&pp, "lora") == FTI_OK && pp.kind == FTI_PRESET_LORA && pp.rank == 16 && pp.residual_rho < 0);
    CHECK(fti_preset_defaults(&pp, "last-layers") == FTI_OK && pp.layers == 2 && pp.rho == 0.5);
    CHECK(fti_preset_defaults(&pp, "full-bounded") == FTI_OK && pp.rho == 0.1);
    CHECK(fti_preset_defaults(&pp, "qlora") == FTI_ERR_ARG && error_has("unknown preset \"qlora\"", "bitfit", NULL));
    CHECK(fti_preset_lora_residual("BF16") == 0x1p-7 && fti_preset_lora_residual("F16") == 0x1p-10);
    CHECK(fti_preset_lora_residual("F32") == 0x1p-16 && fti_preset_lora_residual(NULL) == 0x1p-7);
    unit_list *l = calloc(1, sizeof *l);
    llama_units(l, 1);
    fti_policy *p = NULL;
    CHECK(fti_preset_defaults(&pp, "lora") == FTI_OK);
    pp.rank = 0;
    CHECK(fti_policy_preset(&p, NULL, &pp, l->u, l->n) == FTI_ERR_ARG && !p);
    CHECK(fti_preset_defaults(&pp, "bitfit") == FTI_OK);
    pp.rho = -1;
    CHECK(fti_policy_preset(&p, NULL, &pp, l->u, l->n) == FTI_ERR_ARG && error_has("preset bitfit: rho", NULL));
    pp.rho = 1; /* llama has no biases */
    CHECK(fti_policy_preset(&p, NULL, &pp, l->u, l->n) == FTI_ERR_POLICY && error_has("nothing to select", "llama", NULL));
    free(l);
}

static void test_policy__preset_lora_llama(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy *p;
    fti_policy_resolved *r;
    fti_arch arch;
    llama_units(l, 4);
    CHECK(run_preset(&p, &r, &arch, "lora", l, NULL));
    CHECK(arch == FTI_ARCH_LLAMA);
    CHECK(p->n_rules == 2 && has_rule(p, "model.layers.*.self_attn.[koqv]_proj.weight") && has_rule(p, "*"));
    CHECK(strstr(p->description, "lora") && strstr(p->description, "llama") && p->rules[0].description);
    const fti_requirement *q = req_of(r, l, "model.layers.3.self_attn.k_proj.weight");
    CHECK(q->flags == FTI_REQ_RANK && q->r == 16 && q->residual.mode == FTI_BOUND_REL && q->residual.value == 0x1p-7);
    CHECK(req_of(r, l, "model.layers.3.mlp.up_proj.weight")->flags == FTI_REQ_FROZEN);
    CHECK(req_of(r, l, "lm_head.weight")->flags == FTI_REQ_FROZEN);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    free(l);
}

static void exact_rank8(fti_preset_params *pp) {
    pp->rank = 8;
    pp->residual_rho = 0;
}

static void test_policy__preset_lora_gpt2_slices(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy *p;
    fti_policy_resolved *r;
    fti_arch arch;
    gpt2_units(l, 3);
    CHECK(run_preset(&p, &r, &arch, "lora", l, exact_rank8));
    CHECK(arch == FTI_ARCH_GPT2 && p->n_rules == 3);
    CHECK(has_rule(p, "transformer.h.*.attn.c_attn.weight:[kqv]") && has_rule(p, "transformer.h.*.attn.c_proj.weight"));
    const fti_requirement *q = req_of(r, l, "transformer.h.2.attn.c_attn.weight:v");
    CHECK(q->flags == FTI_REQ_RANK && q->r == 8 && q->residual.mode == FTI_BOUND_NONE);
    CHECK(req_of(r, l, "transformer.h.2.attn.bias")->flags == FTI_REQ_FROZEN);
    CHECK(req_of(r, l, "transformer.h.2.mlp.c_proj.weight")->flags == FTI_REQ_FROZEN);
    CHECK(r->n_tensors == l->n - 3 * 2);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    /* F32 weights: the default residual is 2^-16 */
    CHECK(run_preset(&p, &r, &arch, "lora", l, NULL));
    CHECK(req_of(r, l, "transformer.h.0.attn.c_proj.weight")->residual.value == 0x1p-16);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    free(l);
}

static void test_policy__preset_bitfit_bert(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy *p;
    fti_policy_resolved *r;
    fti_arch arch;
    encoder_units(l, 3, 0);
    CHECK(run_preset(&p, &r, &arch, "bitfit", l, NULL));
    CHECK(arch == FTI_ARCH_BERT);
    for (size_t i = 0; i < l->n; i++) {
        int bias = strstr(l->u[i].name, ".bias") != NULL;
        const fti_requirement *q = &r->units[i].req;
        CHECK(bias ? q->flags == FTI_REQ_NORM && q->norm.mode == FTI_BOUND_REL && q->norm.value == 1.0
                   : q->flags == FTI_REQ_FROZEN);
    }
    CHECK(p->n_rules == 2 && has_rule(p, "*.bias") && has_rule(p, "*"));
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    /* LoRA on BERT: query, key, value and the attention output */
    CHECK(run_preset(&p, &r, &arch, "lora", l, NULL));
    CHECK(p->n_rules == 5 && has_rule(p, "bert.encoder.layer.*.attention.output.dense.weight"));
    CHECK(req_of(r, l, "bert.encoder.layer.2.attention.self.key.weight")->flags == FTI_REQ_RANK);
    CHECK(req_of(r, l, "bert.encoder.layer.2.output.dense.weight")->flags == FTI_REQ_FROZEN);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    free(l);
}

static void test_policy__preset_norms_only_vit(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy *p;
    fti_policy_resolved *r;
    fti_arch arch;
    encoder_units(l, 2, 1);
    CHECK(run_preset(&p, &r, &arch, "norms-only", l, NULL));
    CHECK(arch == FTI_ARCH_VIT);
    for (size_t i = 0; i < l->n; i++) {
        int norm = strstr(l->u[i].name, "layernorm") != NULL;
        CHECK(r->units[i].req.flags == (norm ? FTI_REQ_NORM : FTI_REQ_FROZEN));
    }
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    /* LoRA on ViT: attention.attention.{query,key,value} and attention.output.dense */
    CHECK(run_preset(&p, &r, &arch, "lora", l, NULL));
    CHECK(req_of(r, l, "vit.encoder.layer.1.attention.attention.value.weight")->flags == FTI_REQ_RANK);
    CHECK(req_of(r, l, "vit.encoder.layer.1.attention.output.dense.weight")->flags == FTI_REQ_RANK);
    CHECK(req_of(r, l, "vit.embeddings.patch_embeddings.projection.weight")->flags == FTI_REQ_FROZEN);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    free(l);
}

static void three_layers(fti_preset_params *pp) { pp->layers = 3; }

static void test_policy__preset_last_layers(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy *p;
    fti_policy_resolved *r;
    fti_arch arch;
    llama_units(l, 32);
    CHECK(run_preset(&p, &r, &arch, "last-layers", l, NULL));
    CHECK(has_rule(p, "model.layers.3[01].*") && has_rule(p, "model.norm.weight") && has_rule(p, "lm_head.weight"));
    CHECK(req_of(r, l, "model.layers.30.mlp.up_proj.weight")->flags == FTI_REQ_NORM);
    CHECK(req_of(r, l, "model.layers.29.mlp.up_proj.weight")->flags == FTI_REQ_FROZEN);
    CHECK(req_of(r, l, "model.layers.3.mlp.up_proj.weight")->flags == FTI_REQ_FROZEN);
    CHECK(req_of(r, l, "lm_head.weight")->norm.value == 0.5);
    CHECK(req_of(r, l, "model.embed_tokens.weight")->flags == FTI_REQ_FROZEN);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    /* GPT-2, 12 layers, last 3: layers 9, 10, 11 and ln_f */
    gpt2_units(l, 12);
    CHECK(run_preset(&p, &r, &arch, "last-layers", l, three_layers));
    CHECK(req_of(r, l, "transformer.h.9.attn.c_attn.weight:q")->flags == FTI_REQ_NORM);
    CHECK(req_of(r, l, "transformer.h.11.mlp.c_fc.bias")->flags == FTI_REQ_NORM);
    CHECK(req_of(r, l, "transformer.h.8.ln_1.weight")->flags == FTI_REQ_FROZEN);
    CHECK(req_of(r, l, "transformer.h.1.ln_1.weight")->flags == FTI_REQ_FROZEN);
    CHECK(req_of(r, l, "transformer.ln_f.bias")->flags == FTI_REQ_NORM);
    CHECK(req_of(r, l, "transformer.wpe.weight")->flags == FTI_REQ_FROZEN);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    free(l);
}

static void test_policy__preset_cnn(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy *p;
    fti_policy_resolved *r;
    fti_arch arch;
    cnn_units(l);
    CHECK(run_preset(&p, &r, &arch, "last-layers", l, NULL) && arch == FTI_ARCH_CNN);
    CHECK(p->n_rules == 3 && has_rule(p, "layer[34]*") && has_rule(p, "fc.*"));
    CHECK(req_of(r, l, "layer4.1.conv2.weight")->flags == FTI_REQ_NORM);
    CHECK(req_of(r, l, "layer3.0.bn1.bias")->flags == FTI_REQ_NORM);
    CHECK(req_of(r, l, "layer2.0.bn1.bias")->flags == FTI_REQ_FROZEN);
    CHECK(req_of(r, l, "fc.weight")->flags == FTI_REQ_NORM && req_of(r, l, "fc.bias")->flags == FTI_REQ_NORM);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    CHECK(run_preset(&p, &r, &arch, "full-bounded", l, NULL));
    CHECK(p->n_rules == 1 && has_rule(p, "*") && p->rules[0].req.norm.value == 0.1);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    CHECK(run_preset(&p, &r, &arch, "norms-only", l, NULL));
    CHECK(req_of(r, l, "layer1.1.bn2.running_mean")->flags == FTI_REQ_NORM);
    CHECK(req_of(r, l, "layer1.1.conv2.weight")->flags == FTI_REQ_FROZEN);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    /* LoRA on a CNN without attention: every kernel whose sides exceed the rank */
    CHECK(run_preset(&p, &r, &arch, "lora", l, NULL));
    CHECK(req_of(r, l, "layer2.1.conv1.weight")->flags == FTI_REQ_RANK);
    CHECK(req_of(r, l, "conv1.weight")->flags == FTI_REQ_FROZEN); /* 16 x 27: rank 16 vacuous */
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    free(l);
}

static void rank8(fti_preset_params *pp) { pp->rank = 8; }

static void test_policy__preset_mlp(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy *p;
    fti_policy_resolved *r;
    fti_arch arch;
    mlp_units(l);
    CHECK(run_preset(&p, &r, &arch, "lora", l, rank8) && arch == FTI_ARCH_MLP);
    CHECK(p->n_rules == 2 && has_rule(p, "*.weight"));
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    CHECK(run_preset(&p, &r, &arch, "bitfit", l, NULL));
    CHECK(p->n_rules == 2 && has_rule(p, "*.bias"));
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    CHECK(run_preset(&p, &r, &arch, "last-layers", l, NULL) && has_rule(p, "fc[23]*")); /* fc2, fc3 */
    CHECK(req_of(r, l, "fc1.bias")->flags == FTI_REQ_FROZEN && req_of(r, l, "fc2.bias")->flags == FTI_REQ_NORM);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    /* unknown family: only vectors */
    l->n = 0;
    VEC(l, 8, "a.bias");
    VEC(l, 8, "a.scale");
    CHECK(run_preset(&p, &r, &arch, "bitfit", l, NULL) && arch == FTI_ARCH_UNKNOWN);
    CHECK(p->n_rules == 2 && has_rule(p, "a.bias"));
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    free(l);
}

static void test_policy__preset_escapes_glob_characters(void) {
    unit_list *l = calloc(1, sizeof *l);
    fti_policy *p;
    fti_policy_resolved *r;
    fti_arch arch;
    VEC(l, 8, "w[0].bias");
    VEC(l, 8, "w0.bias");
    VEC(l, 8, "w*x.weight");
    VEC(l, 8, "w?y.weight");
    CHECK(run_preset(&p, &r, &arch, "bitfit", l, NULL));
    CHECK(r->units[0].req.flags == FTI_REQ_NORM && r->units[1].req.flags == FTI_REQ_NORM);
    CHECK(r->units[2].req.flags == FTI_REQ_FROZEN && r->units[3].req.flags == FTI_REQ_FROZEN);
    fti_policy_resolved_free(r);
    fti_policy_free(p);
    free(l);
}

/* ---- the shared real models -------------------------------------------------------------- */

/* Units of a safetensors file from its header: one per tensor, matrix view (dim0, rest). */
static int load_header_units(unit_list *l, const char *path) {
    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    if (!f || fread(len8, 1, 8, f) != 8) return 0;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    char *buf = malloc(n);
    int ok = buf && fread(buf, 1, n, f) == n;
    fclose(f);
    json_t *h = ok ? json_loadb(buf, n, 0, NULL) : NULL;
    free(buf);
    const char *key;
    json_t *v;
    l->n = 0;
    json_object_foreach(h, key, v) {
        if (strcmp(key, "__metadata__") == 0 || l->n == 512) continue;
        json_t *shape = json_object_get(v, "shape");
        uint64_t rows = 1, cols = 1;
        size_t nd = json_array_size(shape);
        for (size_t d = 0; d < nd; d++) {
            uint64_t x = (uint64_t)json_integer_value(json_array_get(shape, d));
            if (d == 0 && nd >= 2) rows = x;
            else cols *= x;
        }
        fti_policy_unit *u = add_unit(l, rows, cols, (unsigned)nd, "%s", key);
        u->dtype = strcmp(json_string_value(json_object_get(v, "dtype")), "F16") == 0 ? "F16" : "F32";
    }
    json_decref(h);
    return l->n > 0;
}

static void test_policy__presets_on_real_models(void) {
    static const char *const files[] = {"gnubg_nets", "human_faceres", "mediapipe_selfie_general",
                                        "nsfwjs_mobilenet_v2", "ppocrv4_rec", "silero_vad_v5"};
    static const char *const presets[] = {"lora", "bitfit", "norms-only", "last-layers", "full-bounded"};
    const char *dir = test_models_dir();
    if (!dir) {
        test_skip("no ../shared/models");
        return;
    }
    unit_list *l = calloc(1, sizeof *l);
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.safetensors", dir, files[f]);
        CHECK(load_header_units(l, path));
        for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++) {
            fti_preset_params pp;
            fti_policy *p = NULL;
            fti_policy_resolved *r = NULL;
            fti_arch arch;
            CHECK(fti_preset_defaults(&pp, presets[k]) == FTI_OK);
            fti_status st = fti_policy_preset(&p, &arch, &pp, l->u, l->n);
            fti_policy_free(p);
            if (st == FTI_ERR_POLICY && strstr(fti_last_error(), "nothing to select")) continue;
            CHECK(run_preset(&p, &r, &arch, presets[k], l, NULL));
            size_t changed = 0;
            for (size_t i = 0; i < l->n; i++) changed += r->units[i].req.flags != FTI_REQ_FROZEN;
            CHECK(changed > 0);
            fti_policy_resolved_free(r);
            fti_policy_free(p);
        }
    }
    free(l);
}

const struct test_case TEST_CASES[] = {
    TEST(test_policy__parse_full_example),
    TEST(test_policy__reject_not_json),
    TEST(test_policy__reject_wrong_version),
    TEST(test_policy__reject_unknown_top_key),
    TEST(test_policy__reject_unknown_rule_key),
    TEST(test_policy__reject_unknown_nested_key),
    TEST(test_policy__reject_rule_without_match),
    TEST(test_policy__reject_rule_without_constraint),
    TEST(test_policy__reject_frozen_combined),
    TEST(test_policy__reject_duplicate_class),
    TEST(test_policy__reject_bad_k),
    TEST(test_policy__reject_bad_r),
    TEST(test_policy__reject_bad_bounds),
    TEST(test_policy__reject_bad_residual),
    TEST(test_policy__reject_bad_global),
    TEST(test_policy__parser_survives_mutations),
    TEST(test_policy__builder_checks_like_parser),
    TEST(test_policy__load_file),
    TEST(test_policy__first_match_wins),
    TEST(test_policy__unmatched_is_frozen),
    TEST(test_policy__glob_semantics),
    TEST(test_policy__reject_rank_on_vector),
    TEST(test_policy__reject_rule_matching_nothing),
    TEST(test_policy__reject_shadowed_rule),
    TEST(test_policy__reject_group_matching_nothing),
    TEST(test_policy__vacuous_parameters_clamped),
    TEST(test_policy__tensor_index_of_slices),
    TEST(test_policy__reject_invalid_units),
    TEST(test_policy__canonical_stable_under_reformatting),
    TEST(test_policy__canonical_changes_with_every_parameter),
    TEST(test_policy__canonical_text_and_round_trip),
    TEST(test_policy__hash_matches_sha256_of_canonical),
    TEST(test_policy__abs_bound_vectors),
    TEST(test_policy__abs_bound_boundaries),
    TEST(test_policy__rel_ok_vectors),
    TEST(test_policy__rel_ok_boundaries),
    TEST(test_policy__group_ok),
    TEST(test_policy__detect_arch),
    TEST(test_policy__classify_units),
    TEST(test_policy__preset_defaults),
    TEST(test_policy__preset_lora_llama),
    TEST(test_policy__preset_lora_gpt2_slices),
    TEST(test_policy__preset_bitfit_bert),
    TEST(test_policy__preset_norms_only_vit),
    TEST(test_policy__preset_last_layers),
    TEST(test_policy__preset_cnn),
    TEST(test_policy__preset_mlp),
    TEST(test_policy__preset_escapes_glob_characters),
    TEST(test_policy__presets_on_real_models),
    {0}};
