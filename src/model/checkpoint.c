/* Checkpoints: path resolution, sharded indexes, and the merged sorted tensor list. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/checkpoint.h"
#include "util/error.h"

struct fti_ckpt {
    fti_ckpt_kind kind;
    char *path;                    /* resolved file */
    fti_st_file **files;           /* one, or the shards sorted by name */
    size_t nfiles;
    const fti_st_tensor **tensors; /* sorted by name */
    size_t count;
};

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* dir + "/" + name, malloc'd. */
static char *join(const char *dir, size_t dirlen, const char *name) {
    size_t n = strlen(name);
    char *p = malloc(dirlen + 1 + n + 1);
    if (!p) return NULL;
    memcpy(p, dir, dirlen);
    p[dirlen] = '/';
    memcpy(p + dirlen + 1, name, n + 1);
    return p;
}

/* ---- directory resolution ---- */

static int is_candidate(const char *name) {
    return strcmp(name, "model.safetensors") == 0 || strcmp(name, "adapter_model.safetensors") == 0 ||
           (ends_with(name, ".safetensors.index.json") && strlen(name) > strlen(".safetensors.index.json"));
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The one candidate file in dir (malloc'd full path), or an error naming what was found. */
static fti_status resolve_dir(char **out, const char *dir) {
    enum { MAX_SHOWN = 8 };
    char *found[MAX_SHOWN];
    size_t nfound = 0;
    fti_status st = FTI_OK;
    DIR *d = opendir(dir);
    if (!d) return fti_fail(FTI_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    for (struct dirent *e; (e = readdir(d));) {
        if (!is_candidate(e->d_name)) continue;
        if (nfound < MAX_SHOWN && !(found[nfound] = strdup(e->d_name))) {
            st = fti_fail(FTI_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
        nfound++;
    }
    closedir(d);
    size_t kept = nfound < MAX_SHOWN ? nfound : MAX_SHOWN;
    qsort(found, kept, sizeof *found, cmp_str);
    if (st == FTI_OK && nfound == 0)
        st = fti_fail(FTI_ERR_IO,
                      "%s: no checkpoint in this directory (expected model.safetensors, a "
                      "*.safetensors.index.json or adapter_model.safetensors)", dir);
    if (st == FTI_OK && nfound > 1)
        st = fti_fail(FTI_ERR_ARG, "%s: ambiguous checkpoint directory: it holds %s and %s%s; name the file to use",
                      dir, found[0], found[1], nfound > 2 ? " and more" : "");
    if (st == FTI_OK && !(*out = join(dir, strlen(dir), found[0])))
        st = fti_fail(FTI_ERR_NOMEM, "%s: out of memory", dir);
    for (size_t i = 0; i < kept; i++) free(found[i]);
    return st;
}

/* ---- sharded checkpoints ---- */

/* A shard name must stay inside the index's directory. */
static int shard_name_ok(const char *s) {
    if (!s[0] || s[0] == '/') return 0;
    for (const char *p = s; *p;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
        p += n + (end ? 1 : 0);
        if (end && !*p) return 0; /* trailing slash */
    }
    return 1;
}

static fti_status load_index(json_t **weight_map, json_t **root, const char *path) {
    json_error_t err;
    struct stat sb;
    if (stat(path, &sb) == 0 && (uint64_t)sb.st_size > FTI_ST_MAX_HEADER)
        return fti_fail(FTI_ERR_FORMAT, "%s: index of %lld bytes exceeds %u bytes", path, (long long)sb.st_size,
                        FTI_ST_MAX_HEADER);
    *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!*root) {
        if (err.line < 0 && (stat(path, &sb) != 0))
            return fti_fail(FTI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return fti_fail(FTI_ERR_FORMAT, "%s: index is not valid JSON: %s (line %d, column %d)", path, err.text,
                        err.line, err.column);
    }
    if (!json_is_object(*root)) return fti_fail(FTI_ERR_FORMAT, "%s: index is not a JSON object", path);
    json_t *meta = json_object_get(*root, "metadata");
    if (meta && !json_is_object(meta)) return fti_fail(FTI_ERR_FORMAT, "%s: index \"metadata\" is not an object", path);
    *weight_map = json_object_get(*root, "weight_map");
    if (!json_is_object(*weight_map)) return fti_fail(FTI_ERR_FORMAT, "%s: index has no \"weight_map\" object", path);
    return FTI_OK;
}

/* The sorted distinct shard names of the weight map (borrowed from the JSON), validated. */
static fti_status shard_names(const char ***out, size_t *n, json_t *wm, const char *path) {
    const char *key;
    json_t *val;
    size_t k = 0;
    const char **names = malloc((json_object_size(wm) ? json_object_size(wm) : 1) * sizeof *names);
    if (!names) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    json_object_foreach(wm, key, val) {
        char q[200];
        if (!key[0]) {
            free(names);
            return fti_fail(FTI_ERR_FORMAT, "%s: weight_map has an empty tensor name", path);
        }
        if (!json_is_string(val) || !shard_name_ok(json_string_value(val))) {
            free(names);
            return fti_fail(FTI_ERR_FORMAT, "%s: weight_map entry of tensor %s is not a relative shard file name",
                            path, fti_st_quote(q, sizeof q, key));
        }
        names[k++] = json_string_value(val);
    }
    qsort(names, k, sizeof *names, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(names[u - 1], names[i]) != 0) names[u++] = names[i];
    *out = names;
    *n = u;
    return FTI_OK;
}

static size_t find_name(const char **names, size_t n, const char *s) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s, names[mid]);
        if (c == 0) return mid;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return n;
}

/* Shards' tensors against the weight map, then the weight map against the shards. */
static fti_status check_index(const fti_ckpt *c, json_t *wm, const char **names) {
    char q[200];
    for (size_t i = 0; i < c->nfiles; i++) {
        for (size_t j = 0; j < fti_st_count(c->files[i]); j++) {
            const fti_st_tensor *t = fti_st_tensor_at(c->files[i], j);
            json_t *where = json_object_get(wm, t->name);
            fti_st_quote(q, sizeof q, t->name);
            if (!where)
                return fti_fail(FTI_ERR_FORMAT, "%s: tensor %s of shard %s is not listed in the index", c->path, q,
                                names[i]);
            size_t k = find_name(names, c->nfiles, json_string_value(where));
            if (k == i) continue;
            if (fti_st_find(c->files[k], t->name))
                return fti_fail(FTI_ERR_FORMAT, "%s: tensor %s is in two shards, %s and %s", c->path, q,
                                names[i < k ? i : k], names[i < k ? k : i]);
            return fti_fail(FTI_ERR_FORMAT, "%s: tensor %s is in shard %s but the index maps it to %s", c->path, q,
                            names[i], names[k]);
        }
    }
    const char *key;
    json_t *val;
    json_object_foreach(wm, key, val) {
        size_t k = find_name(names, c->nfiles, json_string_value(val));
        if (!fti_st_find(c->files[k], key))
            return fti_fail(FTI_ERR_FORMAT, "%s: the index maps tensor %s to shard %s, which does not contain it",
                            c->path, fti_st_quote(q, sizeof q, key), names[k]);
    }
    return FTI_OK;
}

static fti_status open_sharded(fti_ckpt *c) {
    json_t *root = NULL, *wm = NULL;
    const char **names = NULL;
    size_t dirlen = (size_t)(base_name(c->path) - c->path);
    const char *dir = dirlen ? c->path : ".";
    dirlen = dirlen ? dirlen - 1 : 1;
    fti_status st = load_index(&wm, &root, c->path);
    if (st == FTI_OK) st = shard_names(&names, &c->nfiles, wm, c->path);
    if (st == FTI_OK && !(c->files = calloc(c->nfiles ? c->nfiles : 1, sizeof *c->files)))
        st = fti_fail(FTI_ERR_NOMEM, "%s: out of memory", c->path);
    for (size_t i = 0; st == FTI_OK && i < c->nfiles; i++) {
        char *p = join(dir, dirlen, names[i]);
        st = p ? fti_st_open(&c->files[i], p) : fti_fail(FTI_ERR_NOMEM, "%s: out of memory", c->path);
        free(p);
    }
    if (st == FTI_OK) st = check_index(c, wm, names);
    free(names);
    json_decref(root);
    return st;
}

/* ---- the merged list ---- */

static int by_name(const void *a, const void *b) {
    return strcmp((*(const fti_st_tensor *const *)a)->name, (*(const fti_st_tensor *const *)b)->name);
}

static fti_status merge(fti_ckpt *c) {
    size_t n = 0;
    for (size_t i = 0; i < c->nfiles; i++) n += fti_st_count(c->files[i]);
    c->tensors = malloc((n ? n : 1) * sizeof *c->tensors);
    if (!c->tensors) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", c->path);
    for (size_t i = 0; i < c->nfiles; i++)
        for (size_t j = 0; j < fti_st_count(c->files[i]); j++) c->tensors[c->count++] = fti_st_tensor_at(c->files[i], j);
    if (c->nfiles > 1) qsort(c->tensors, c->count, sizeof *c->tensors, by_name);
    return FTI_OK;
}

static fti_status open_single(fti_ckpt *c) {
    c->files = calloc(1, sizeof *c->files);
    if (!c->files) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", c->path);
    c->nfiles = 1;
    return fti_st_open(&c->files[0], c->path);
}

/* The file to open and its kind. */
static fti_status resolve(fti_ckpt *c, const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) return fti_fail(FTI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fti_status st = FTI_OK;
    if (S_ISDIR(sb.st_mode)) st = resolve_dir(&c->path, path);
    else if (!(c->path = strdup(path))) st = fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    if (st != FTI_OK) return st;
    if (ends_with(c->path, ".index.json")) c->kind = FTI_CKPT_SHARDED;
    else if (strcmp(base_name(c->path), "adapter_model.safetensors") == 0) c->kind = FTI_CKPT_ADAPTER;
    else c->kind = FTI_CKPT_FILE;
    return FTI_OK;
}

fti_status fti_ckpt_open(fti_ckpt **out, const char *path) {
    *out = NULL;
    fti_ckpt *c = calloc(1, sizeof *c);
    if (!c) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    fti_status st = resolve(c, path);
    if (st == FTI_OK) st = c->kind == FTI_CKPT_SHARDED ? open_sharded(c) : open_single(c);
    if (st == FTI_OK) st = merge(c);
    if (st != FTI_OK) {
        fti_ckpt_close(c);
        return st;
    }
    *out = c;
    return FTI_OK;
}

void fti_ckpt_close(fti_ckpt *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nfiles && c->files; i++) fti_st_close(c->files[i]);
    free(c->files);
    free(c->tensors);
    free(c->path);
    free(c);
}

fti_ckpt_kind fti_ckpt_kind_of(const fti_ckpt *c) { return c->kind; }
const char *fti_ckpt_path(const fti_ckpt *c) { return c->path; }
size_t fti_ckpt_count(const fti_ckpt *c) { return c->count; }
size_t fti_ckpt_file_count(const fti_ckpt *c) { return c->nfiles; }

const fti_st_tensor *fti_ckpt_tensor(const fti_ckpt *c, size_t i) {
    FTI_VERIFY_CHECK(i < c->count);
    return c->tensors[i];
}

const fti_st_file *fti_ckpt_file(const fti_ckpt *c, size_t i) {
    FTI_VERIFY_CHECK(i < c->nfiles);
    return c->files[i];
}

const fti_st_tensor *fti_ckpt_find(const fti_ckpt *c, const char *name) {
    size_t lo = 0, hi = c->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(name, c->tensors[mid]->name);
        if (r == 0) return c->tensors[mid];
        if (r < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}
