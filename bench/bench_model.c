/* End-to-end benchmark on synthetic Llama-shaped BF16 checkpoints (issues 4 and 5):
 * generates a base (sharded like real checkpoints) and two fine-tunes (a LoRA-16 update of
 * q/k/v/o merged into BF16, and a bounded full fine-tune), then times the fti tool:
 * commit (base, tuned), prove and verify for each fine-tune, fti diff on the same pair, and,
 * as baselines measured in the same run, `openssl dgst -sha256` over the checkpoint files.
 * Peak RSS is measured per command (wait4). Files go to DIR (default /tmp/fti-bench-PRESET).
 * Usage: bench_model [PRESET] [DIR]      PRESET: micro, tiny, 100M (default), 1B */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static char bindir[1024];

typedef struct {
    double secs;
    double rss_mb;
    int status;
} run_result;

/* Runs a shell command, returning wall time, peak RSS of the command tree, exit status. */
static run_result run(const char *cmd) {
    run_result r = {0, 0, -1};
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) == pid) {
        r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        r.rss_mb = ru.ru_maxrss / 1024.0;
    }
    r.secs = bench_now() - t0;
    return r;
}

/* snprintf that must not truncate (paths are short; a truncated command would run wrongly). */
#define FMT(buf, ...)                                                                 \
    do {                                                                              \
        int n_ = snprintf(buf, sizeof buf, __VA_ARGS__);                              \
        if (n_ < 0 || (size_t)n_ >= sizeof buf) {                                      \
            fprintf(stderr, "bench_model: path too long\n");                          \
            exit(2);                                                                  \
        }                                                                             \
    } while (0)

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

static double size_mb(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 ? sb.st_size / 1e6 : 0;
}

static void must(run_result r, const char *what) {
    if (r.status != 0) {
        fprintf(stderr, "bench_model: %s failed (exit %d)\n", what, r.status);
        exit(1);
    }
}

static void report(const char *preset, const char *name, run_result r, int with_rss) {
    char label[200];
    snprintf(label, sizeof label, "model_%s_%s_time", preset, name);
    bench_print(label, r.secs, "s");
    if (with_rss) {
        snprintf(label, sizeof label, "model_%s_%s_peak_rss", preset, name);
        bench_print(label, r.rss_mb, "MB");
    }
}

int main(int argc, char **argv) {
    const char *preset = argc > 1 ? argv[1] : "100M";
    char dir[1024], cmd[4096], path[1200];
    if (argc > 2) snprintf(dir, sizeof dir, "%s", argv[2]);
    else snprintf(dir, sizeof dir, "/tmp/fti-bench-%s", preset);
    snprintf(bindir, sizeof bindir, "%s", argv[0]);
    char *slash = strrchr(bindir, '/');
    if (slash) *slash = 0;
    else snprintf(bindir, sizeof bindir, ".");
    mkdir(dir, 0755);
    printf("# preset %s, files in %s, OMP_NUM_THREADS=%s\n", preset, dir, getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "(default)");
    const char *F = "fti", *G = "fti_gen";
    /* checkpoints */
    FMT(path, "%s/base", dir);
    if (!exists(path)) {
        FMT(cmd, "%s/%s model llama --preset %s --dtype bf16 --max-shard-size 1GB -o %s/base", bindir, G, preset, dir);
        must(run(cmd), "generating the base");
        FMT(cmd,
                 "%s/%s variant lora --base %s/base --rank 16 --targets q_proj,k_proj,v_proj,o_proj --adapter-out %s/adapter -o %s/lora",
                 bindir, G, dir, dir, dir);
        must(run(cmd), "generating the LoRA fine-tune");
        FMT(cmd, "%s/%s variant full --base %s/base --rel 0.01 -o %s/full", bindir, G, dir, dir);
        must(run(cmd), "generating the full fine-tune");
    }
    /* baselines: SHA-256 of the base checkpoint files; fti diff */
    FMT(cmd, "openssl dgst -sha256 %s/base/*.safetensors > /dev/null", dir);
    run_result sha = run(cmd);
    must(sha, "openssl dgst");
    report(preset, "sha256_base_files", sha, 0);
    /* commitments */
    FMT(cmd, "%s/%s commit %s/base -o %s/base.ftic -q", bindir, F, dir, dir);
    run_result cb = run(cmd);
    must(cb, "commit base");
    report(preset, "commit_base", cb, 1);
    char label[200];
    snprintf(label, sizeof label, "model_%s_commit_vs_sha256", preset);
    bench_print(label, cb.secs / sha.secs, "x");
    FMT(path, "%s/base.ftic", dir);
    snprintf(label, sizeof label, "model_%s_commitment_size", preset);
    bench_print(label, size_mb(path), "MB");
    FMT(cmd, "%s/%s inspect --check %s/base.ftic > /dev/null", bindir, F, dir);
    run_result ck = run(cmd);
    must(ck, "inspect --check");
    report(preset, "check_commitment", ck, 0);
    const char *kinds[2] = {"lora", "full"};
    for (int k = 0; k < 2; k++) {
        const char *v = kinds[k];
        char name[64];
        FMT(cmd, "%s/%s commit --base %s/base.ftic %s/%s -o %s/%s.ftic -q", bindir, F, dir, dir, v, dir, v);
        must(run(cmd), "commit tuned");
        if (k == 0)
            FMT(cmd, "%s/%s policy init --preset lora --rank 16 %s/base.ftic -o %s/%s.json 2>/dev/null", bindir, F, dir,
                     dir, v);
        else
            FMT(cmd, "%s/%s policy init --preset full-bounded --rho 0.02 %s/base.ftic -o %s/%s.json 2>/dev/null", bindir,
                     F, dir, dir, v);
        must(run(cmd), "policy init");
        FMT(cmd,
                 "%s/%s prove --base %s/base --tuned %s/%s --policy %s/%s.json --base-commitment %s/base.ftic "
                 "--tuned-commitment %s/%s.ftic -o %s/%s.ftcert -q",
                 bindir, F, dir, dir, v, dir, v, dir, dir, v, dir, v);
        run_result pr = run(cmd);
        must(pr, "prove");
        snprintf(name, sizeof name, "%s_prove", v);
        report(preset, name, pr, 1);
        FMT(path, "%s/%s.ftcert", dir, v);
        snprintf(label, sizeof label, "model_%s_%s_certificate_size", preset, v);
        bench_print(label, size_mb(path), "MB");
        FMT(cmd, "%s/%s verify --base %s/base.ftic --tuned %s/%s.ftic --policy %s/%s.json %s/%s.ftcert > /dev/null",
                 bindir, F, dir, dir, v, dir, v, dir, v);
        run_result ve = run(cmd);
        must(ve, "verify");
        snprintf(name, sizeof name, "%s_verify", v);
        report(preset, name, ve, 1);
        FMT(cmd, "%s/%s diff %s/base %s/%s --quiet > /dev/null", bindir, F, dir, dir, v);
        run_result df = run(cmd);
        must(df, "diff");
        snprintf(name, sizeof name, "%s_diff", v);
        report(preset, name, df, 1);
        snprintf(label, sizeof label, "model_%s_%s_verify_vs_diff", preset, v);
        bench_print(label, ve.secs / df.secs, "x");
    }
    return 0;
}
