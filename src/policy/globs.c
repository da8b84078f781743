/* Globs for a selection of units (contract in policy_internal.h).
 *
 * For each selected unit not yet covered, form the candidates
 *   "*"                          (everything),
 *   the name with every all-digit token replaced by '*' ("model.layers.*.mlp.up_proj.weight"),
 *   the unit's layer prefix + '*' ("model.layers.31.*"),
 *   its module + '*' ("age_pred/" + '*'), '*' + its leaf ("*.bias"),
 *   the name itself (glob characters escaped),
 * drop those that match an unselected unit, and keep the one covering the most units not yet
 * covered (the earlier one on ties). Globs that differ in one letter are then merged into a
 * bracket class ("[kqv]", "3[01]"), which matches exactly the union. Globs that would add
 * nothing are dropped, so rules made from them are never shadowed. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"
#include "util/error.h"

#define MAX_MERGE 512 /* above this many globs, skip bracket merging */

typedef struct {
    const fti_policy_unit *units;
    const fti_unit_class *cls; /* per unit */
    size_t n;
    const char *sel; /* per unit: 1 selected */
    char *covered;   /* per unit: some kept glob matches it */
    char **globs;    /* kept globs, in order */
    char *dropped;   /* per glob: absorbed by a merge or redundant */
    size_t n_globs;
    char **rejected; /* candidates found to match an unselected unit */
    size_t n_rejected;
} writer;

static int glob_matches(const char *g, const char *name) { return fnmatch(g, name, 0) == 0; }

static int push(char ***arr, size_t *n, char *s) {
    char **a = realloc(*arr, (*n + 1) * sizeof *a);
    if (!a) return 0;
    *arr = a;
    a[(*n)++] = s;
    return 1;
}

/* 1 if g matches only selected units, 0 if not, remembering rejections. */
static int pure(writer *w, const char *g) {
    for (size_t i = 0; i < w->n_rejected; i++)
        if (strcmp(w->rejected[i], g) == 0) return 0;
    for (size_t i = 0; i < w->n; i++) {
        if (w->sel[i] || !glob_matches(g, w->units[i].name)) continue;
        char *copy = strdup(g);
        if (copy && !push(&w->rejected, &w->n_rejected, copy)) free(copy);
        return 0;
    }
    return 1;
}

static int is_digit_token_end(char ch) { return !ch || ch == '.' || ch == '/' || ch == ':' || ch == '_'; }

static int is_glob_char(char ch) { return ch && strchr("*?[]\\", ch) != NULL; }

/* The name with every all-digit token replaced by '*', glob characters escaped (malloc'd,
 * NULL when out of memory). */
static char *generalised(const char *name) {
    char *g = malloc(2 * strlen(name) + 1), *o = g;
    if (!g) return NULL;
    for (const char *p = name; *p;) {
        int start = p == name || is_digit_token_end(p[-1]);
        const char *e = p;
        while (isdigit((unsigned char)*e)) e++;
        if (start && e > p && is_digit_token_end(*e)) {
            *o++ = '*';
            p = e;
        } else {
            if (is_glob_char(*p)) *o++ = '\\';
            *o++ = *p++;
        }
    }
    *o = 0;
    return g;
}

/* head, then the n bytes at s with glob characters escaped, then tail (malloc'd). */
static char *escaped(const char *head, const char *s, size_t n, const char *tail) {
    char *g = malloc(strlen(head) + 2 * n + strlen(tail) + 1), *o = g;
    if (!g) return NULL;
    o = stpcpy(o, head);
    for (size_t i = 0; i < n; i++) {
        if (is_glob_char(s[i])) *o++ = '\\';
        *o++ = s[i];
    }
    strcpy(o, tail);
    return g;
}

/* Bytes of name up to and including its last separator ('.', '/', ':'), 0 if none. */
static size_t module_len(const char *name) {
    size_t n = 0;
    for (size_t i = 0; name[i]; i++)
        if (name[i] == '.' || name[i] == '/' || name[i] == ':') n = i + 1;
    return n;
}

enum { CAND_ALL, CAND_DIGITS, CAND_LAYER, CAND_MODULE, CAND_LEAF, CAND_NAME, N_CAND };

/* Candidate `which` for unit u: a malloc'd glob matching u, "" when u has no candidate of
 * that kind, NULL when out of memory. In order of preference on ties:
 *   CAND_ALL "*"; CAND_DIGITS all-digit tokens as '*'; CAND_LAYER "<layer prefix>*";
 *   CAND_MODULE "<name up to its last separator>*"; CAND_LEAF "*<last separator and leaf>";
 *   CAND_NAME the name itself. */
static char *candidate(const fti_policy_unit *u, const fti_unit_class *cl, int which) {
    const char *name = u->name;
    size_t mod = module_len(name), len = strlen(name);
    switch (which) {
    case CAND_ALL: return strdup("*");
    case CAND_DIGITS: return generalised(name);
    case CAND_LAYER: return cl->layer_prefix ? escaped("", name, cl->layer_prefix, "*") : strdup("");
    case CAND_MODULE: return mod ? escaped("", name, mod, "*") : strdup("");
    case CAND_LEAF: return mod ? escaped("*", name + mod - 1, len - mod + 1, "") : strdup("");
    default: return escaped("", name, len, "");
    }
}

/* Uncovered units g matches. */
static size_t gain(const writer *w, const char *g) {
    size_t n = 0;
    for (size_t i = 0; i < w->n; i++) n += !w->covered[i] && glob_matches(g, w->units[i].name);
    return n;
}

static fti_status keep(writer *w, char *g) {
    char *d = realloc(w->dropped, w->n_globs + 1);
    if (d) w->dropped = d;
    if (!d || !push(&w->globs, &w->n_globs, g)) {
        free(g);
        return fti_fail(FTI_ERR_NOMEM, "preset: out of memory");
    }
    w->dropped[w->n_globs - 1] = 0;
    for (size_t i = 0; i < w->n; i++)
        if (glob_matches(g, w->units[i].name)) w->covered[i] = 1;
    return FTI_OK;
}

/* Covers unit u with the pure candidate covering the most uncovered units (the
 * earlier candidate on ties; the escaped name is always pure, names being unique). */
static fti_status cover(writer *w, size_t u) {
    char *best = NULL;
    size_t best_gain = 0;
    for (int which = 0; which < N_CAND; which++) {
        char *g = candidate(&w->units[u], &w->cls[u], which);
        if (!g) {
            free(best);
            return fti_fail(FTI_ERR_NOMEM, "preset: out of memory");
        }
        size_t n = g[0] && glob_matches(g, w->units[u].name) && pure(w, g) ? gain(w, g) : 0;
        if (n > best_gain) {
            free(best);
            best = g;
            best_gain = n;
        } else {
            free(g);
        }
    }
    if (!best) return fti_fail(FTI_ERR_INTERNAL, "preset: no glob for %s", w->units[u].name);
    return keep(w, best);
}

/* ---- bracket merging --------------------------------------------------------------------- */

/* 1 if a and b (same length, no '[') differ exactly at one position, holding letters or
 * digits there; *pos receives it. */
static int one_letter_apart(const char *a, const char *b, size_t *pos) {
    size_t diff = 0;
    for (size_t i = 0; a[i]; i++) {
        if (a[i] == b[i]) continue;
        if (diff++ || !isalnum((unsigned char)a[i]) || !isalnum((unsigned char)b[i])) return 0;
        *pos = i;
    }
    return diff == 1;
}

/* "[...]" for a set of characters, runs of 3 or more consecutive ones as a range. */
static void bracket(char *out, const char *set) {
    char *o = out;
    *o++ = '[';
    for (int c = 0; c < 256; c++) {
        if (!set[c]) continue;
        int e = c;
        while (e + 1 < 256 && set[e + 1]) e++;
        *o++ = (char)c;
        if (e - c >= 2) {
            *o++ = '-';
            *o++ = (char)e;
            c = e;
        }
    }
    *o++ = ']';
    *o = 0;
}

/* Merges glob i with every later glob one letter apart from it at the same position.
 * Returns 1 if it merged, 0 if not, -1 when out of memory. */
static int merge_from(writer *w, size_t i) {
    const char *a = w->globs[i];
    size_t len = strlen(a), pos = 0, p;
    if (strchr(a, '[')) return 0;
    char set[256] = {0};
    int merged = 0;
    for (size_t j = i + 1; j < w->n_globs; j++) {
        const char *b = w->globs[j];
        if (w->dropped[j] || strlen(b) != len || strchr(b, '[') ||
            !one_letter_apart(a, b, &p) || (merged && p != pos))
            continue;
        pos = p;
        merged = 1;
        set[(unsigned char)b[p]] = 1;
        w->dropped[j] = 1; /* absorbed */
    }
    if (!merged) return 0;
    set[(unsigned char)a[pos]] = 1;
    char *g = malloc(len + 2 + 256 * 3), br[3 * 256 + 3];
    if (!g) return -1;
    bracket(br, set);
    memcpy(g, a, pos);
    strcpy(g + pos, br);
    strcat(g, a + pos + 1);
    free(w->globs[i]);
    w->globs[i] = g;
    return 1;
}

/* Removes the dropped globs. */
static void compact(writer *w) {
    size_t k = 0;
    for (size_t i = 0; i < w->n_globs; i++) {
        if (w->dropped[i]) {
            free(w->globs[i]);
            continue;
        }
        w->dropped[k] = 0;
        w->globs[k++] = w->globs[i];
    }
    w->n_globs = k;
}

static fti_status merge_all(writer *w) {
    if (w->n_globs > MAX_MERGE) return FTI_OK;
    for (size_t i = 0; i < w->n_globs; i++) {
        int r;
        while ((r = merge_from(w, i)) == 1) compact(w);
        if (r < 0) return fti_fail(FTI_ERR_NOMEM, "preset: out of memory");
    }
    return FTI_OK;
}

/* 1 if glob i matches some unit no earlier glob matches. */
static int adds_something(const writer *w, size_t i) {
    for (size_t u = 0; u < w->n; u++) {
        if (!glob_matches(w->globs[i], w->units[u].name)) continue;
        size_t j = 0;
        while (j < i && !glob_matches(w->globs[j], w->units[u].name)) j++;
        if (j == i) return 1;
    }
    return 0;
}

static void drop_redundant(writer *w) {
    for (size_t i = 0; i < w->n_globs; i++)
        if (!adds_something(w, i)) w->dropped[i] = 1;
    compact(w);
}

void fti_policy_globs_free(char **globs, size_t n) {
    for (size_t i = 0; i < n; i++) free(globs[i]);
    free(globs);
}

fti_status fti_policy_globs(char ***out, size_t *n_out, const fti_policy_unit *units,
                            const fti_unit_class *cls, const char *selected, size_t n) {
    writer w = {units, cls, n, selected, calloc(n ? n : 1, 1), NULL, NULL, 0, NULL, 0};
    fti_status st = w.covered ? FTI_OK : fti_fail(FTI_ERR_NOMEM, "preset: out of memory");
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n && !st; i++)
        if (selected[i] && !w.covered[i]) st = cover(&w, i);
    if (!st) st = merge_all(&w);
    if (!st) drop_redundant(&w);
    if (!st) {
        *out = w.globs;
        *n_out = w.n_globs;
    } else {
        fti_policy_globs_free(w.globs, w.n_globs);
    }
    fti_policy_globs_free(w.rejected, w.n_rejected);
    free(w.dropped);
    free(w.covered);
    return st;
}

