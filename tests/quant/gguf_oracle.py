#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent oracle for the GGUF decoders: the gguf PyPI package's numpy dequantizers.

Runs `test_quant --dump DIR` (random raw blocks of every GGUF format the library's traits table
decodes, fully random bytes so every f16 scale pattern occurs, NaN and Inf included, plus the
library's gk_dequantize output) and checks each format bit for bit against
gguf.quants.dequantize.

Rounding order: gguf evaluates every format with the same f32 operations in the same order as
ggml's reference C code (e.g. Q4_K: (d * sc) * q - (dmin * m), Q6_K: (d * sc) * q, Q4_1:
(d * q) + m, each an f32 numpy array operation, no fused multiply-add), so for finite values the
results must be identical bits; nothing is tolerated there. The one allowed difference: where a
scale is NaN, any NaN matches any NaN (numpy keeps the payload of a signalling f16 NaN and
propagates operands in its own order; the library quiets NaNs as its f16 conversion defines).

Formats without a gguf dequantizer are listed in NOT_IN_GGUF with the reason; they are checked
against their definitions in tests/test_quant.c. Any other format the package cannot decode is a
failure, so IQ rows merged into the table are covered automatically.

Usage: gguf_oracle.py TEST_QUANT_BINARY WORK_DIR
The gguf package must be importable (tools/dev.sh creates build/gguf-venv with it); if it is
not, this fails loudly instead of skipping.
"""
import os
import subprocess
import sys

NOT_IN_GGUF = {
    "Q8_1": "gguf 0.19 has no Q8_1 dequantizer (ggml has none either: Q8_1 only feeds dot "
            "products) and lists it as 40 bytes (an old layout with f32 d and s); ggml-common.h "
            "at d99724f and this library use 36 (f16 d and s)",
    "Q8_K": "gguf 0.19 has no Q8_K dequantizer (ggml's Q8_K is an activation format)",
}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, work = sys.argv[1], sys.argv[2]
    try:
        import numpy as np
        import gguf
        import gguf.quants
    except ImportError as e:
        print(f"gguf_oracle: FAILED: cannot import the oracle ({e}).\n"
              "  Run `tools/dev.sh deps` (it creates build/gguf-venv with `pip install gguf`),\n"
              "  or configure with -DGK_GGUF_PYTHON=<a python that has gguf and numpy>.")
        return 1
    os.makedirs(work, exist_ok=True)
    subprocess.run([binary, "--dump", work], check=True)
    failures = 0
    checked = 0
    with open(os.path.join(work, "index.txt")) as index:
        rows = [line.split() for line in index if line.strip()]
    if not rows:
        print("gguf_oracle: FAILED: the dump lists no format")
        return 1
    for name, gguf_id, n in rows:
        n = int(n)
        qtype = gguf.GGMLQuantizationType(int(gguf_id))
        if qtype.name != name:
            print(f"{name}: GGUF id {gguf_id} is {qtype.name} in gguf")
            failures += 1
            continue
        if name in NOT_IN_GGUF:
            print(f"{name}: not checked here: {NOT_IN_GGUF[name]}")
            continue
        block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
        blocks = np.fromfile(os.path.join(work, name + ".blocks"), dtype=np.uint8)
        got = np.fromfile(os.path.join(work, name + ".f32"), dtype=np.float32)
        if blocks.size != n // block_elems * block_bytes or got.size != n:
            print(f"{name}: sizes differ from gguf's block size {block_elems}/{block_bytes}")
            failures += 1
            continue
        try:
            with np.errstate(all="ignore"):  # NaN/Inf scales are part of the random blocks
                want = gguf.quants.dequantize(blocks, qtype).astype(np.float32).reshape(-1)
        except NotImplementedError:
            print(f"{name}: FAILED: gguf {gguf.__name__} cannot dequantize it")
            failures += 1
            continue
        same = got.view(np.uint32) == want.view(np.uint32)
        both_nan = np.isnan(got) & np.isnan(want)
        bad = np.flatnonzero(~(same | both_nan))
        finite = int(np.isfinite(want).sum())
        if bad.size:
            i = int(bad[0])
            print(f"{name}: FAILED: {bad.size} of {n} values differ; first at {i} "
                  f"(block {i // block_elems}): got {got[i]!r} want {want[i]!r}")
            failures += 1
        else:
            print(f"{name}: {n} values bit-identical to gguf ({finite} finite, "
                  f"{int(both_nan.sum())} NaN in both)")
            checked += 1
    print(f"gguf_oracle: {checked} formats bit-identical, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
