#!/usr/bin/env bash
# Regenerates the seed corpora of the libFuzzer harnesses that need library-made inputs
# (fuzz/corpus/{ftic,cert,pcs_proof,logup_proof}): each harness, started with
# FTI_FUZZ_WRITE_SEEDS=DIR, writes its seeds there at start-up (the honest commitment,
# certificate or proof of its fixed instance, and truncated copies) and -runs=0 stops it.
# The seeds follow the library's formats: rerun this after a format change.
#   usage: tests/vectors/make_fuzz_corpus.sh [FUZZ_BUILD_DIR]   (default build/fuzz: make fuzz)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/fuzz}"
for name in ftic cert pcs_proof logup_proof; do
  bin="$build/fuzz_$name"
  [ -x "$bin" ] || { echo "make_fuzz_corpus: $bin is missing (run make fuzz)" >&2; exit 2; }
  dir="$root/fuzz/corpus/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  FTI_FUZZ_WRITE_SEEDS="$dir" "$bin" -runs=0 >/dev/null 2>&1 || { echo "make_fuzz_corpus: fuzz_$name failed" >&2; exit 1; }
  echo "fuzz/corpus/$name: $(ls "$dir" | wc -l) seeds, $(du -sk "$dir" | cut -f1) kB"
done
