#!/usr/bin/env python3
"""Times FAISS k-means (faiss.Kmeans) for @metalfaiss/bench's `kmeans` scenario.

Usage: /usr/bin/python3 faiss_kmeans.py JOB.json

The job names a directory holding xb.f32 (raw little-endian float32, rows of
d), the dimension d, the number of centroids k, niter, seed, the repetitions,
the thread count for faiss.omp_set_num_threads, and the output JSON file
(written in the same directory). Each repetition trains a new faiss.Kmeans on
all of xb; time.perf_counter() is read around km.train(x) only. The output
holds every repetition's seconds and the per-iteration objectives of the last
one. On failure it prints one JSON line {"error": ...} to stderr and exits 2.
"""
import json
import os
import sys
import time


def fail(message):
    sys.stderr.write(json.dumps({"error": message}) + "\n")
    sys.exit(2)


def main():
    if len(sys.argv) != 2:
        fail("usage: faiss_kmeans.py JOB.json")
    with open(sys.argv[1]) as f:
        job = json.load(f)
    try:
        import faiss
        import numpy as np
    except ImportError as e:
        fail("cannot import faiss/numpy (%s); install with apt-get install -y python3-faiss libopenblas0-pthread" % e)
    d = int(job["d"])
    path = os.path.join(job["dataDir"], "xb.f32")
    if not os.path.exists(path):
        fail("expected raw float32 file %s, received no such file" % path)
    x = np.fromfile(path, dtype="<f4")
    if x.size % d != 0:
        fail("expected a multiple of d=%d floats in %s, received %d" % (d, path, x.size))
    x = np.ascontiguousarray(x.reshape(-1, d))
    threads = int(job.get("threads", 1))
    faiss.omp_set_num_threads(threads)
    k = int(job["k"])
    niter = int(job.get("niter", 20))
    seed = int(job.get("seed", 1234))
    reps = max(1, int(job.get("reps", 1)))
    seconds = []
    obj = []
    for _ in range(reps):
        km = faiss.Kmeans(d, k, niter=niter, seed=seed)
        t0 = time.perf_counter()
        km.train(x)
        seconds.append(time.perf_counter() - t0)
        obj = [float(v) for v in km.obj]
    out = {
        "faissVersion": getattr(faiss, "__version__", "unknown"),
        "threads": threads,
        "n": int(x.shape[0]),
        "d": d,
        "k": k,
        "niter": niter,
        "seconds": seconds,
        "obj": obj,
        "env": {name: os.environ.get(name) for name in ("OMP_WAIT_POLICY", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }
    with open(os.path.join(job["dataDir"], job["outFile"]), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
