#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the fuzzer's seed corpus (fuzz/corpus/), once; it is committed.

Each input is what fuzz_ops.c reads: one byte choosing the owner-policy
variant, then 8-byte operations.  The operations are model_test's own
random streams (the same xorshift64* seeded the same way, see
model_test.c), so every input is a valid sequence that drives the model
through every kind of operation.  Lengths vary from 16 to 511 operations
(4089 bytes, under run-fuzz.sh's -max_len=4096).  The regression seeds of
model_test that fit are written too, so the fuzz run replays them.

    fuzz/gen-corpus.py [DIR]      (default: fuzz/corpus beside this file)
"""
import os
import struct
import sys

M64 = (1 << 64) - 1
NR_VARIANTS = 4
LENGTHS = (16, 64, 256, 511)
SEEDS = range(8)

# (seed, variant, steps, name): regression seeds of model_seeds.h.
REGRESS = (
    (2056, 3, 64, 'c1003a5-s2056-v3'),
    (2028, 1, 128, 'c1003a5-s2028-v1'),
    (2065, 2, 128, 'c1003a5-s2065-v2'),
    (2053, 0, 256, 'c1003a5-s2053-v0'),
)


def mix(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def stream(seed, variant, steps):
    s = mix((seed * NR_VARIANTS + variant) & M64) | 1
    out = bytearray([variant])
    for _ in range(steps):
        s ^= s >> 12
        s ^= (s << 25) & M64
        s ^= s >> 27
        out += struct.pack('<Q', (s * 0x2545f4914f6cdd1d) & M64)
    return bytes(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus')
    os.makedirs(out, exist_ok=True)
    for seed in SEEDS:
        for v in range(NR_VARIANTS):
            n = LENGTHS[(seed + v) % len(LENGTHS)]
            with open(os.path.join(out, f'model-s{seed}-v{v}-{n}'), 'wb') as f:
                f.write(stream(seed, v, n))
    for seed, v, n, name in REGRESS:
        with open(os.path.join(out, f'regress-{name}'), 'wb') as f:
            f.write(stream(seed, v, n))


if __name__ == '__main__':
    main()
