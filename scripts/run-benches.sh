#!/usr/bin/env bash
# Runs every benchmark program (optionally only those whose name contains $2).
set -euo pipefail
dir=$1; filter=${2:-}
for b in "$dir"/bench_*; do
  [ -x "$b" ] || continue
  case "$(basename "$b")" in *"$filter"*) ;; *) continue ;; esac
  echo "== $(basename "$b")"
  "$b"
done
