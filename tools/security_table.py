#!/usr/bin/env python3
"""Soundness figures of fti's parameter sets (SECURITY.md quotes this script's output).

For a committed polynomial of 2^n entries (n variables), codeword 2^(n+R) at rate 2^-R, in an
opening of m polynomials, with challenges from K (|K| = p^3 ~ 2^192):
  sum-checks        : n rounds of degree 2 (batching and folding phases): 2n/|K| each
  claim batching    : 2/|K| (lambda_z nu_i, degree 2);  mu batching: m |D|/|K| (conservative)
  folding steps     : sum over h of |D_h|/|K| <= 2 |D|/|K|   (unique decoding, BCIKS20 Thm 1.4)
  queries           : (1 - delta)^Q with delta = (1 - rho)/2 (proven) or 1 - sqrt(rho) - 1/256
                      (conjectured), each attempt costing 2^pow hashes (grinding)
The algebraic terms are far below 2^-100 for every size up to 2^30; the security in bits is the
query term, Q * log2(1/(1 - delta)) + pow.
Usage: /usr/bin/python3 tools/security_table.py
"""
import math

P = 2**64 - 2**32 + 1
K = P**3
SETS = {
    # name: (log_blowup R, queries Q, pow bits, delta)
    "proven": (1, 203, 16, (1 - 0.5) / 2),
    "conjectured": (1, 171, 16, 1 - math.sqrt(0.5) - 1 / 256),
}


def log2(x):
    return math.log2(x) if x > 0 else float("-inf")


def figures(n, R, Q, pw, delta, m=64, d_max=40):
    D = 2 ** (n + R)
    algebraic = (2 * 2 * n + 2 + m * D + 2 * D) / K  # two sum-checks, batching, folds
    logup = ((2**n + 2**16) + d_max * d_max * 4) / K  # alpha + GKR layers (degree 3)
    query_bits = Q * -log2(1 - delta) + pw
    return -log2(algebraic), -log2(logup), query_bits


def main():
    for name, (R, Q, pw, delta) in SETS.items():
        print(f"parameter set {name}: rate 2^-{R}, {Q} queries, {pw} bits of grinding, delta = {delta:.5f}")
        print(f"  {'n':>3} {'PCS algebraic':>14} {'LogUp-GKR':>10} {'queries':>8} {'security':>9}")
        for n in (10, 16, 20, 24, 26, 28, 30):
            a, l, q = figures(n, R, Q, pw, delta)
            print(f"  {n:>3} {a:>13.1f}b {l:>9.1f}b {q:>7.2f}b {min(a, l, q):>8.2f}b")
        print()


if __name__ == "__main__":
    main()
