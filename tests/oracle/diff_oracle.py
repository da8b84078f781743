#!/usr/bin/python3
"""Independent oracle for `fti diff` (src/diff/diff.h): the same statistics from the same files.

It shares no code with the C implementation and computes differently where it can:
  - decoding: numpy's float16/float32/float64 (bfloat16: the 16 bits widened to a float32
    pattern); other dtypes are compared on their bytes (sub-byte elements bit by bit, LSB first);
  - norms: the square of every double is split exactly into two doubles (Dekker's product on
    numpy arrays), and math.fsum (Shewchuk's exactly rounded summation) adds them, so each sum
    of squares is the correctly rounded exact value (values must stay below 2^500 in magnitude);
  - tol_F: numpy.spacing of the tuned values in their own dtype (bfloat16: float32 spacing times
    2^16), halved, squared, summed by math.fsum;
  - singular values: numpy.linalg.svd of the whole matrix view (zero rows and columns kept);
    rank = the least r with sqrt(sum_{i>r} s_i^2) <= tol_F, rank@tol = #{s_i > tol * s_1}.
    Because two SVD implementations differ in the last bits, each rank also comes with the
    interval it takes when the threshold moves by a relative 1e-6 ("rank_amb",
    "rank_at_tol_amb"): a correct implementation lands inside it.
  - fixed point ("encoded", DESIGN.md section 3): the quantum from math.frexp of the largest base
    magnitude, v = numpy.rint (half to even) of the exactly scaled value, sums of (v' - v)^2 in
    Python integers;
  - the matrix view (rows = out axis) follows the rule documented at fti_layout_out_axis
    (src/model/encode.h) applied to the base file's __metadata__ "layout".

Usage: diff_oracle.py BASE TUNED [--tol X]
Output: one JSON object on stdout, either
  {"tensors": [...], "totals": {...}}    keys as in the fti diff JSON (rank: rows, cols, out_axis,
                                           nonzero_rows, nonzero_cols, tol_round, rank, rank_amb,
                                           tol, rank_at_tol, rank_at_tol_amb, sigma_max; encoded:
                                           quantum, encodable, out_of_range_index, changed,
                                           delta_sq)
  {"error": "mismatch", "missing": [...], "extra": [...], "shape": [...], "dtype": [...]}
  {"error": "nan" | "inf", "file": PATH, "tensor": NAME, "index": I}
Non-finite numbers are written as null.
"""
import itertools
import json
import math
import struct
import sys

import numpy as np

FLOATS = {"F16": np.float16, "F32": np.float32, "F64": np.float64}
BITS = {"BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8,
        "F8_E8M0": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
        "C64": 64, "F64": 64, "I64": 64, "U64": 64}
AMB = 1e-6


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


def native(dtype, raw):
    """The values in their own numpy dtype (bfloat16 as float32), or None if not a float."""
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    if dtype in FLOATS:
        return np.frombuffer(raw, dtype=np.dtype(FLOATS[dtype]).newbyteorder("<"))
    return None


def half_ulp(dtype, x):
    """ulp(x)/2 in x's own format, as float64 (zeros and subnormals: the least subnormal / 2).
    Spacing is taken of |x|: numpy's float16 spacing of a negative value is the gap below it."""
    with np.errstate(over="ignore"):
        sp = np.spacing(np.abs(x)).astype(np.float64)
    if dtype == "BF16":
        sp = sp * 65536.0
    return sp / 2


def exact_squares(x):
    """Arrays p, q with x_i^2 = p_i + q_i exactly (|x| < 2^500)."""
    x = np.asarray(x, dtype=np.float64)
    assert x.size == 0 or np.max(np.abs(x)) < 2.0 ** 500
    c = x * 134217729.0
    hi = c - (c - x)
    lo = x - hi
    p = x * x
    q = ((hi * hi - p) + 2 * hi * lo) + lo * lo
    return p, q


class Ssq:
    """An exact sum of squares: the pieces are kept and added by math.fsum at the end."""

    def __init__(self):
        self.parts = []

    def add(self, x):
        p, q = exact_squares(x)
        self.parts += [p, q]

    def merge(self, other):
        self.parts += other.parts

    def norm(self):
        s = math.fsum(itertools.chain.from_iterable(a.tolist() for a in self.parts))
        return math.sqrt(s)


def out_axis_last(layout, ndim):
    """The rule of fti_layout_out_axis: True when the out axis is the last one."""
    if not layout:
        return False
    best, axis = None, False
    for token, last in (("OIHW", False), ("OHWI", False), ("OIH", False), ("HWIO", True)):
        p = layout.find(token)
        if p >= 0 and (best is None or p < best):
            best, axis = p, last
    if ndim >= 3:
        return axis
    if ndim == 2:
        if "[out,in]" in layout or "[out, in]" in layout:
            return False
        if "[in,out]" in layout or "[in, out]" in layout:
            return True
        return axis if best is not None else False
    return False


def view(d, shape, last):
    """Delta as the matrix rows = out axis, cols = the other dimensions in order."""
    if last:
        return d.reshape(-1, shape[-1]).T
    return d.reshape(shape[0], -1)


def tail_rank(s, tol_round):
    """Least r with sqrt(sum_{i>r} s_i^2) <= tol_round."""
    tails = [math.sqrt(math.fsum((s[r:] ** 2).tolist())) for r in range(len(s) + 1)]
    for r, t in enumerate(tails):
        if t <= tol_round:
            return r
    return len(s)


def rank_stats(d, shape, last, halfulps, tol_opt):
    m = view(d, shape, last)
    rows, cols = m.shape
    nz = m != 0
    tol_round = math.sqrt(math.fsum((halfulps ** 2).tolist()))
    tol = tol_opt if tol_opt is not None else max(rows, cols) * 2.0 ** -52
    out = {"rows": rows, "cols": cols, "out_axis": "last" if last else "first",
           "nonzero_rows": int(np.count_nonzero(nz.any(axis=1))),
           "nonzero_cols": int(np.count_nonzero(nz.any(axis=0))), "tol_round": tol_round, "tol": tol}
    if not nz.any():
        s = np.zeros(0)
    else:
        s = np.linalg.svd(m, compute_uv=False)
    s1 = float(s[0]) if s.size else 0.0
    out["sigma_max"] = s1
    out["rank"] = tail_rank(s, tol_round)
    out["rank_amb"] = [tail_rank(s, tol_round * (1 + AMB)), tail_rank(s, tol_round * (1 - AMB))]
    count = lambda t: int(np.count_nonzero(s > t * s1))
    out["rank_at_tol"] = count(tol)
    out["rank_at_tol_amb"] = [count(tol * (1 + AMB)), count(tol * (1 - AMB))]
    return out


def encoded(wb, wt):
    """Delta in the proof's fixed point: quantum 2^s from the base, v = rhe(x / 2^s)."""
    m = float(np.max(np.abs(wb))) if wb.size else 0.0
    s = math.frexp(m)[1] - 30 if m else -30
    vb, vt = np.rint(np.ldexp(wb, -s)), np.rint(np.ldexp(wt, -s))
    out = {"quantum": s}
    bad = np.flatnonzero(np.abs(vt) >= 2.0 ** 31)
    if bad.size:
        out.update(encodable=False, out_of_range_index=int(bad[0]), changed=None, delta_sq=None)
        return out
    a = np.abs(vt - vb).astype(np.uint64)  # integers below 2^32, exact in float64
    sq = a * a  # < 2^64
    hi = int(np.sum(sq >> np.uint64(32), dtype=np.uint64))
    lo = int(np.sum(sq & np.uint64(0xFFFFFFFF), dtype=np.uint64))
    out.update(encodable=True, out_of_range_index=None, changed=int(np.count_nonzero(a)),
               delta_sq=str((hi << 32) + lo))
    return out


def bytes_changed(dtype, shape, rb, rt):
    bits = BITS[dtype]
    numel = int(np.prod(shape)) if shape else 1
    if bits % 8 == 0:
        a = np.frombuffer(rb, np.uint8).reshape(numel, bits // 8)
        b = np.frombuffer(rt, np.uint8).reshape(numel, bits // 8)
        return int(np.count_nonzero((a != b).any(axis=1)))
    a = np.unpackbits(np.frombuffer(rb, np.uint8), bitorder="little")[:numel * bits].reshape(numel, bits)
    b = np.unpackbits(np.frombuffer(rt, np.uint8), bitorder="little")[:numel * bits].reshape(numel, bits)
    return int(np.count_nonzero((a != b).any(axis=1)))


def first_bad(path_b, path_t, name, wb, wt):
    """The error record of the first non-finite element (the base's first at equal index)."""
    bad_b = ~np.isfinite(wb)
    bad_t = ~np.isfinite(wt)
    either = np.flatnonzero(bad_b | bad_t)
    if either.size == 0:
        return None
    i = int(either[0])
    x, path = (wb[i], path_b) if bad_b[i] else (wt[i], path_t)
    return {"error": "nan" if np.isnan(x) else "inf", "file": path, "tensor": name, "index": i}


def tensor_stats(name, dtype, shape, rb, rt, layout, tol_opt, totals):
    numel = int(np.prod(shape)) if shape else 1
    rec = {"name": name, "dtype": dtype, "shape": shape, "numel": numel}
    nb, nt = native(dtype, rb), native(dtype, rt)
    if nb is None:
        rec.update(decoded=False, changed=bytes_changed(dtype, shape, rb, rt), rank=None, encoded=None)
        return rec, None
    with np.errstate(invalid="ignore"):  # widening a NaN is exact; numpy still warns
        wb, wt = nb.astype(np.float64), nt.astype(np.float64)
    bad = first_bad(*totals["paths"], name, wb, wt)
    if bad:
        return None, bad
    d = wt - wb
    sw, st, sd = Ssq(), Ssq(), Ssq()
    sw.add(wb), st.add(wt), sd.add(d)
    totals["w"].merge(sw), totals["t"].merge(st), totals["d"].merge(sd)
    ad = np.abs(d)
    changed = int(np.count_nonzero(d))
    rec.update(decoded=True, norm_base=sw.norm(), norm_tuned=st.norm(), norm_delta=sd.norm(), changed=changed,
               max_abs_delta=float(ad.max()) if numel else 0.0,
               max_abs_delta_index=int(np.argmax(ad)) if changed else None)
    rec["encoded"] = encoded(wb, wt)
    rec["rel_delta"] = 0.0 if rec["norm_delta"] == 0 else (
        math.inf if rec["norm_base"] == 0 else rec["norm_delta"] / rec["norm_base"])
    totals["max"] = max(totals["max"], rec["max_abs_delta"])
    rec["rank"] = None
    if len(shape) >= 2:
        last = out_axis_last(layout, len(shape))
        rec["rank"] = rank_stats(d, shape, last, half_ulp(dtype, nt), tol_opt) if numel else {
            "rows": 0, "cols": 0, "rank": 0, "rank_amb": [0, 0], "rank_at_tol": 0, "rank_at_tol_amb": [0, 0]}
    return rec, None


def mismatch(tb, tt):
    missing = sorted(set(tb) - set(tt))
    extra = sorted(set(tt) - set(tb))
    both = sorted(set(tb) & set(tt))
    shape = [n for n in both if tb[n][1] != tt[n][1]]
    dtype = [n for n in both if tb[n][1] == tt[n][1] and tb[n][0] != tt[n][0]]
    if missing or extra or shape or dtype:
        return {"error": "mismatch", "missing": missing, "extra": extra, "shape": shape, "dtype": dtype}
    return None


def finite_or_null(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite_or_null(v) for k, v in x.items()}
    if isinstance(x, list):
        return [finite_or_null(v) for v in x]
    return x


def main(argv):
    args = argv[1:]
    tol = None
    if "--tol" in args:
        i = args.index("--tol")
        tol = float(args[i + 1])
        del args[i:i + 2]
    base, tuned = args
    tb, meta = read_safetensors(base)
    tt, _ = read_safetensors(tuned)
    err = mismatch(tb, tt)
    if err:
        print(json.dumps(err))
        return 0
    totals = {"w": Ssq(), "t": Ssq(), "d": Ssq(), "max": 0.0, "paths": (base, tuned)}
    recs = []
    for name in sorted(tb, key=lambda s: s.encode("utf-8")):
        dtype, shape, rb = tb[name]
        rec, bad = tensor_stats(name, dtype, shape, rb, tt[name][2], meta.get("layout"), tol, totals)
        if bad:
            print(json.dumps(bad))
            return 0
        recs.append(rec)
    numel = sum(r["numel"] for r in recs)
    changed = sum(r["changed"] for r in recs)
    nw, nd = totals["w"].norm(), totals["d"].norm()
    tot = {"tensors": len(recs), "changed_tensors": sum(1 for r in recs if r["changed"]), "numel": numel,
           "changed": changed, "norm_base": nw, "norm_tuned": totals["t"].norm(), "norm_delta": nd,
           "rel_delta": 0.0 if nd == 0 else (math.inf if nw == 0 else nd / nw), "max_abs_delta": totals["max"]}
    print(json.dumps(finite_or_null({"tensors": recs, "totals": tot})))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
