/* safetensors files: mapping, lookup, page-cache advice. The header rules are in st_parse.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/st_internal.h"
#include "util/error.h"

static fti_status new_file(fti_st_file **out, const char *path) {
    fti_st_file *f = calloc(1, sizeof *f);
    if (!f) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    f->path = strdup(path);
    if (!f->path) {
        free(f);
        return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    }
    *out = f;
    return FTI_OK;
}

/* Maps path read-only into f->base (f->size bytes). Files shorter than 8 bytes are not mapped
 * (a zero-length mapping is an error); the parser reports them. */
static fti_status map_file(fti_st_file *f, const char *path) {
    fti_status st = FTI_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fti_fail(FTI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = fti_fail(FTI_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = fti_fail(FTI_ERR_IO, "%s: not a regular file", path);
        goto out;
    }
    f->size = (uint64_t)sb.st_size;
    if (f->size < 8) goto out;
    if (f->size > SIZE_MAX) {
        st = fti_fail(FTI_ERR_IO, "%s: file of %llu bytes cannot be mapped", path, (unsigned long long)f->size);
        goto out;
    }
    void *p = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        st = fti_fail(FTI_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        goto out;
    }
    f->base = p;
    f->mapped = 1;
out:
    close(fd);
    return st;
}

static fti_status finish(fti_st_file **out, fti_st_file *f, fti_status st) {
    if (st != FTI_OK) {
        fti_st_close(f);
        return st;
    }
    *out = f;
    return FTI_OK;
}

fti_status fti_st_open(fti_st_file **out, const char *path) {
    *out = NULL;
    fti_st_file *f = NULL;
    fti_status st = new_file(&f, path);
    if (st != FTI_OK) return st;
    st = map_file(f, path);
    if (st == FTI_OK) st = fti_st_parse_image(f);
    return finish(out, f, st);
}

fti_status fti_st_parse(fti_st_file **out, const uint8_t *buf, size_t len, const char *label) {
    *out = NULL;
    fti_st_file *f = NULL;
    fti_status st = new_file(&f, label);
    if (st != FTI_OK) return st;
    f->base = buf;
    f->size = len;
    return finish(out, f, fti_st_parse_image(f));
}

void fti_st_close(fti_st_file *f) {
    if (!f) return;
    if (f->mapped) munmap((void *)f->base, (size_t)f->size);
    free(f->tensors);
    free(f->dims);
    free(f->strings);
    free(f->meta);
    free(f->path);
    free(f);
}

const char *fti_st_path(const fti_st_file *f) { return f->path; }
uint64_t fti_st_file_size(const fti_st_file *f) { return f->size; }
uint64_t fti_st_header_len(const fti_st_file *f) { return f->header_len; }
size_t fti_st_count(const fti_st_file *f) { return f->count; }

const fti_st_tensor *fti_st_tensor_at(const fti_st_file *f, size_t i) {
    FTI_VERIFY_CHECK(i < f->count);
    return &f->tensors[i];
}

const fti_st_tensor *fti_st_find(const fti_st_file *f, const char *name) {
    size_t lo = 0, hi = f->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, f->tensors[mid].name);
        if (c == 0) return &f->tensors[mid];
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

size_t fti_st_metadata_count(const fti_st_file *f) { return f->meta_count; }

void fti_st_metadata_at(const fti_st_file *f, size_t i, const char **key, const char **value) {
    FTI_VERIFY_CHECK(i < f->meta_count);
    *key = f->meta[i].key;
    *value = f->meta[i].value;
}

const char *fti_st_metadata_get(const fti_st_file *f, const char *key) {
    for (size_t i = 0; i < f->meta_count; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

/* madvise over the whole pages holding t's bytes. The range stays inside the mapping: the data
 * starts after the 8-byte prefix of a page-aligned mapping and ends at or before its end. */
static void advise(const fti_st_tensor *t, int advice) {
    if (!t->file->mapped || t->nbytes == 0) return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)t->data & ~(page - 1);
    uintptr_t end = ((uintptr_t)t->data + (uintptr_t)t->nbytes + page - 1) & ~(page - 1);
    (void)madvise((void *)start, end - start, advice); /* advice only: failure is harmless */
}

void fti_st_prefetch(const fti_st_tensor *t) { advise(t, MADV_WILLNEED); }
void fti_st_release(const fti_st_tensor *t) { advise(t, MADV_DONTNEED); }

fti_status fti_st_require_committable(const fti_st_tensor *t) {
    if (fti_dtype_committable(t->dtype)) return FTI_OK;
    char q[256];
    return fti_fail(FTI_ERR_UNSUPPORTED,
                    "%s: tensor %s has dtype %s, which fti cannot commit (only BF16, F16, F32, F64)",
                    t->path, fti_st_quote(q, sizeof q, t->name), fti_dtype_name(t->dtype));
}

char *fti_st_quote(char *out, size_t cap, const char *name) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (cap == 0) return out;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        int esc = *p < 0x20 || *p == 0x7f || *p == '\\';
        size_t need = esc ? 4 : 1;
        /* keep room for "..." and the terminator; never split a UTF-8 sequence */
        if (o + need + 4 > cap) {
            while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) o--;
            if (o > 0 && ((unsigned char)out[o - 1] & 0x80)) o--; /* lead byte of the cut char */
            if (o + 4 <= cap) memcpy(out + o, "...", 3), o += 3;
            break;
        }
        if (esc) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = 0;
    return out;
}
