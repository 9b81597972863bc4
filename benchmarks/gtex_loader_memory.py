# SPDX-License-Identifier: BSD-3-Clause
"""Peak memory and time of ``load_gtex`` on a generated GCT file of GTEx size.

Writes a GCT v1.2 matrix (by default the size of the GTEx V8 one: 56,200 genes
x 17,382 samples, about 6 GB as text) and a matching sample attributes table
into a temporary directory, loads it in a fresh Python process keeping 12,557
genes of all samples, reports the wall time and the peak resident memory next
to the size of the returned matrix, and deletes the files.

Usage::

    python benchmarks/gtex_loader_memory.py [--genes 56200] [--samples 17382]
        [--keep 12557] [--gzip] [--chunksize 500] [--tmpdir DIR]
"""

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Distinct value lines; rows cycle through them. The parser's work does not
# depend on the values repeating, and generating 56,200 random rows of 17,382
# numbers as text would take longer than the measurement itself.
N_DISTINCT_ROWS = 97


def generate(directory: Path, n_genes: int, n_samples: int, compress: bool):
    rng = np.random.RandomState(0)
    samples = [
        f"GTEX-{donor:05X}-{tissue:04d}-SM-{k:05X}"
        for k, (donor, tissue) in enumerate(
            zip(rng.randint(0, 16**5, n_samples), rng.randint(0, 3000, n_samples))
        )
    ]
    means = rng.lognormal(mean=3.0, sigma=2.0, size=(N_DISTINCT_ROWS, 1))
    counts = rng.poisson(np.minimum(means, 1e6), size=(N_DISTINCT_ROWS, n_samples))
    rows = ["\t".join(map(str, row)).encode() + b"\n" for row in counts]

    expression = directory / ("expression.gct.gz" if compress else "expression.gct")
    stream = (
        gzip.open(expression, "wb", compresslevel=1)
        if compress
        else open(expression, "wb")
    )
    with stream:
        header = ["#1.2", f"{n_genes}\t{n_samples}", "Name\tDescription"]
        stream.write(("\n".join(header) + "\t" + "\t".join(samples) + "\n").encode())
        for g in range(n_genes):
            stream.write(f"ENSG{g:011d}.1\tGENE{g}\t".encode())
            stream.write(rows[g % N_DISTINCT_ROWS])

    attributes = directory / "SampleAttributesDS.txt"
    tissues = ["Whole Blood", "Lung", "Muscle - Skeletal", "Brain - Cerebellum"]
    with open(attributes, "w") as stream:
        stream.write("SAMPID\tSMTS\tSMTSD\tSMAFRZE\n")
        for k, sample in enumerate(samples):
            tissue = tissues[k % len(tissues)]
            stream.write(f"{sample}\t{tissue.split(' ')[0]}\t{tissue}\tRNASEQ\n")
    return expression, attributes


LOAD = """
import json, resource, sys, time
import numpy as np
from skgain.datasets import load_gtex

expression, attributes, n_genes, keep, chunksize = sys.argv[1:6]
genes = [f"ENSG{g:011d}.1" for g in np.linspace(0, int(n_genes) - 1, int(keep)).round()
         .astype(int)]
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
frame = load_gtex(expression, attributes, genes=genes, chunksize=int(chunksize))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
values = frame.iloc[:, 2:]
print(json.dumps(dict(
    seconds=seconds, baseline=baseline, peak=peak, shape=list(frame.shape),
    output_bytes=int(values.shape[0] * values.shape[1] * 4),
    dtypes=sorted(set(map(str, values.dtypes))),
)))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=56_200)
    parser.add_argument("--samples", type=int, default=17_382)
    parser.add_argument("--keep", type=int, default=12_557)
    parser.add_argument("--chunksize", type=int, default=500)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--tmpdir", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        start = time.perf_counter()
        expression, attributes = generate(
            Path(tmp), args.genes, args.samples, args.gzip
        )
        size = expression.stat().st_size
        print(
            f"generated {expression.name}: {args.genes} genes x {args.samples} "
            f"samples, {size / 1e9:.2f} GB on disk, in "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                LOAD,
                str(expression),
                str(attributes),
                str(args.genes),
                str(args.keep),
                str(args.chunksize),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    report = json.loads(result.stdout)
    full = args.genes * args.samples * 4
    out = report["output_bytes"]
    print(
        f"loaded {report['shape']} (dtypes {report['dtypes']}) in "
        f"{report['seconds']:.1f} s"
    )
    print(f"full matrix as float32:  {full / 1e6:8.0f} MB")
    print(f"kept matrix (output):    {out / 1e6:8.0f} MB")
    print(f"RSS before loading:      {report['baseline'] / 1e6:8.0f} MB")
    print(f"peak RSS:                {report['peak'] / 1e6:8.0f} MB")
    growth = report["peak"] - report["baseline"]
    print(
        f"peak RSS - before:       {growth / 1e6:8.0f} MB "
        f"= {growth / out:.2f} x the output"
    )


if __name__ == "__main__":
    main()
