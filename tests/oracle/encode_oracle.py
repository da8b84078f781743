#!/usr/bin/python3
"""Independent oracle for fti's fixed-point encoding (DESIGN.md section 3, src/model/encode.h).

It shares no code or algorithm with the C encoder:
  - decoding uses numpy's own float16/float32/float64 (bfloat16: the 16 bits widened to a
    float32 pattern), then Python floats, which hold every such value exactly;
  - the quantum comes from math.frexp of the largest magnitude (x = m 2^E, 0.5 <= m < 1, so
    floor(log2 x) + 1 = E), s = E - 30, or -30 for an all-zero tensor;
  - rounding is Python's round() of an exact Fraction (round half to even) in --exact mode,
    else numpy's rint of the exactly scaled double (np.ldexp by a power of two is exact here,
    rint rounds half to even), cross-checked against the Fraction path on a random sample.

Usage: encode_oracle.py FILE [--base BASEFILE] [--quantum S] [--axis first|last|layout]
                             [--values] [--exact]
  --base      take each tensor's quantum from the tensor of the same name in BASEFILE
  --quantum   use quantum exponent S for every tensor
  --axis      out axis of the matrix view: first (default), last, or from the file's
              __metadata__ "layout" (the rule documented at fti_layout_out_axis)
  --values    also print every encoded value
  --exact     use Fraction arithmetic for every element (slow; small tensors)

Output, one line per tensor in byte order of names, fields separated by tabs:
  T name s sum sumsq rows cols log_rows log_cols sha256(lo limbs) sha256(hi limbs)
  E name nan|inf|range index          (first bad element in flat order)
  V name v0 v1 ...                    (with --values, after its T line)
Limbs are u = v + 2^31, lo = u & 0xffff, hi = u >> 16, over the padded matrix (2^a x 2^b,
row-major, padding v = 0), hashed as little-endian uint16.
"""
import hashlib
import json
import math
import random
import struct
import sys
from fractions import Fraction

import numpy as np

LIMIT = 1 << 31


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + n:]
    tensors = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        tensors[name] = (info["dtype"], list(info["shape"]), data[b:e])
    return tensors, meta


def decode(dtype, raw):
    """float64 array of the exact values (NaN/Inf kept)."""
    with np.errstate(invalid="ignore"):  # widening a NaN is exact; numpy still warns
        return _decode(dtype, raw)


def _decode(dtype, raw):
    if dtype == "F16":
        return np.frombuffer(raw, dtype="<f2").astype(np.float64)
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4").astype(np.float64)
    if dtype == "F64":
        return np.frombuffer(raw, dtype="<f8").astype(np.float64)
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).astype(np.float64)
    raise SystemExit("oracle: unsupported dtype " + dtype)


def first_nonfinite(x):
    bad = np.flatnonzero(~np.isfinite(x))
    if len(bad) == 0:
        return None
    i = int(bad[0])
    return ("nan" if math.isnan(x[i]) else "inf"), i


def quantum(x):
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak == 0.0:
        return -30
    _, e = math.frexp(peak)
    return e - 30


def encode_exact(x, s):
    scale = Fraction(2) ** (-s)
    return np.array([round(Fraction(float(v)) * scale) for v in x], dtype=object)


def encode_fast(x, s):
    # ldexp by -s is exact: every finite input times a power of two stays a normal double here
    # (inputs are at least 2^-1074 only for F64 tensors, which tests keep small enough)
    y = np.ldexp(x, -s)
    assert np.all(np.ldexp(y, s) == x), "oracle: scaling was not exact"
    return np.rint(y)


def check_sample(x, v, s):
    rng = random.Random(1234)
    idx = rng.sample(range(len(x)), min(len(x), 300)) if len(x) else []
    for i in idx:
        want = round(Fraction(float(x[i])) * Fraction(2) ** (-s))
        if abs(want) < LIMIT:
            assert want == int(v[i]), f"oracle self-check failed at {i}: {want} vs {v[i]}"


def layout_axis(layout, ndim):
    """fti_layout_out_axis, written again: 0 = first, 1 = last."""
    if layout is None:
        return 0
    conv = [("OIHW", 0), ("OHWI", 0), ("OIH", 0), ("HWIO", 1)]
    found = [(layout.find(t), a) for t, a in conv if layout.find(t) >= 0]
    conv_axis = min(found)[1] if found else 0
    if ndim >= 3:
        return conv_axis
    if ndim == 2:
        if "[out,in]" in layout or "[out, in]" in layout:
            return 0
        if "[in,out]" in layout or "[in, out]" in layout:
            return 1
        return conv_axis if found else 0
    return 0


def ceil_log2(n):
    return 0 if n <= 1 else (n - 1).bit_length()


def view(shape, axis):
    numel = int(np.prod(shape, dtype=object)) if shape else 1
    if len(shape) < 2:
        return 1, numel, False
    out = len(shape) - 1 if axis == 1 else 0
    rows = shape[out]
    cols = 1
    for i, d in enumerate(shape):
        if i != out:
            cols *= d
    return rows, cols, axis == 1


def limb_hashes(v, rows, cols, transposed):
    a, b = ceil_log2(rows), ceil_log2(cols)
    u = np.full((1 << a, 1 << b), LIMIT, dtype=np.int64)
    flat = np.asarray(v, dtype=np.int64) + LIMIT
    if rows * cols:
        m = flat.reshape(cols, rows).T if transposed else flat.reshape(rows, cols)
        u[:rows, :cols] = m
    lo = (u & 0xFFFF).astype("<u2")
    hi = (u >> 16).astype("<u2")
    return a, b, hashlib.sha256(lo.tobytes()).hexdigest(), hashlib.sha256(hi.tobytes()).hexdigest()


def main(argv):
    path = argv[1]
    opts = {"--base": None, "--quantum": None, "--axis": "first"}
    flags = set()
    i = 2
    while i < len(argv):
        if argv[i] in opts:
            opts[argv[i]] = argv[i + 1]
            i += 2
        else:
            flags.add(argv[i])
            i += 1
    tensors, meta = read_safetensors(path)
    base = read_safetensors(opts["--base"])[0] if opts["--base"] else None
    out = sys.stdout
    for name in sorted(tensors, key=lambda k: k.encode("utf-8")):
        dtype, shape, raw = tensors[name]
        x = decode(dtype, raw)
        if opts["--quantum"] is not None:
            s = int(opts["--quantum"])
        elif base is not None:
            bdt, _, braw = base[name]
            bx = decode(bdt, braw)
            bad = first_nonfinite(bx)
            if bad:
                out.write(f"E\t{name}\t{bad[0]}\t{bad[1]}\n")
                continue
            s = quantum(bx)
        else:
            bad = first_nonfinite(x)
            if bad:
                out.write(f"E\t{name}\t{bad[0]}\t{bad[1]}\n")
                continue
            s = quantum(x)
        finite = np.isfinite(x)
        xs = np.where(finite, x, 0.0)
        if "--exact" in flags:
            v = encode_exact(xs, s)
            in_range = np.array([abs(int(t)) < LIMIT for t in v], dtype=bool)
        else:
            v = encode_fast(xs, s)
            check_sample(xs, v, s)
            in_range = np.abs(v) < LIMIT
        bad = np.flatnonzero(~finite | ~in_range)
        if len(bad):
            j = int(bad[0])
            kind = "range" if finite[j] else ("nan" if math.isnan(x[j]) else "inf")
            out.write(f"E\t{name}\t{kind}\t{j}\n")
            continue
        vi = np.array([int(t) for t in v], dtype=np.int64) if "--exact" in flags else v.astype(np.int64)
        total, sumsq = exact_sums(vi)
        if opts["--axis"] == "layout":
            axis = layout_axis(meta.get("layout"), len(shape))
        else:
            axis = 1 if opts["--axis"] == "last" else 0
        rows, cols, transposed = view(shape, axis)
        transposed = transposed and rows > 1 and cols > 1
        a, b, hlo, hhi = limb_hashes(vi, rows, cols, transposed)
        out.write(f"T\t{name}\t{s}\t{total}\t{sumsq}\t{rows}\t{cols}\t{a}\t{b}\t{hlo}\t{hhi}\n")
        if "--values" in flags:
            out.write(f"V\t{name}\t" + " ".join(str(int(t)) for t in vi) + "\n")


def exact_sums(v):
    """sum v and sum v^2 as Python integers (v^2 < 2^62 fits uint64; partial sums split in
    32-bit halves so that numpy's 64-bit accumulators cannot wrap for up to 2^24 elements)."""
    total = sum(int(c) for c in np.add.reduceat(v, np.arange(0, len(v), 1 << 20))) if len(v) else 0
    sq = (v * v).astype(np.uint64)
    hi = int(np.sum(sq >> np.uint64(32), dtype=np.uint64))
    lo = int(np.sum(sq & np.uint64(0xFFFFFFFF), dtype=np.uint64))
    assert len(v) < (1 << 24)
    return total, (hi << 32) + lo


if __name__ == "__main__":
    main(sys.argv)
