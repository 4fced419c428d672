#!/usr/bin/env python3
"""Runs one benchmark job with real FAISS and writes the timings as JSON.

Usage: /usr/bin/python3 faiss_runner.py JOB.json

The job (written by @metalfaiss/bench, src/peers/faiss.ts) names a directory
holding raw little-endian float32 files (xb.f32, xq.f32, optionally xt.f32),
the dimension, the index (a factory string such as "Flat" or "IVF1024,Flat"),
the metric, k, the modes to time ("batch": all queries in one search call,
"single": one query per call), a list of search-parameter settings (strings for
faiss.ParameterSpace, e.g. "nprobe=16"; "" means none), warm-up and repetition
counts, and the thread count for faiss.omp_set_num_threads.

It writes JOB's "out" JSON file: the FAISS version, thread count, train/add
seconds, the index's serialized size, and per parameter setting the batch
timings (every repetition, seconds), the single-query latencies (ms) and the
names of the raw files holding the batch labels (int64) and distances
(float32) and the single-query labels and distances, all under the job directory. On failure it prints one JSON line
{"error": ...} to stderr and exits with status 2.

Timing: time.perf_counter() around each call. Batch: `warmup` untimed
searches, then `reps` timed ones. Single: the first `singleWarmup` queries are
run untimed, then each of the first `singleQueries` queries is timed once.
"""
import json
import os
import sys
import time


def fail(message):
    sys.stderr.write(json.dumps({"error": message}) + "\n")
    sys.exit(2)


def load_u8(path, code_size):
    import numpy as np

    if not os.path.exists(path):
        fail("expected raw uint8 file %s, received no such file" % path)
    a = np.fromfile(path, dtype="u1")
    if a.size % code_size != 0:
        fail("expected a multiple of code_size=%d bytes in %s, received %d" % (code_size, path, a.size))
    return np.ascontiguousarray(a.reshape(-1, code_size))


def set_binary_param(index, params):
    """Binary indexes have no ParameterSpace: "nprobe=8" / "efSearch=32" set the attribute."""
    for part in params.split(","):
        name, value = part.split("=")
        if name == "nprobe":
            index.nprobe = int(value)
        elif name == "efSearch":
            index.hnsw.efSearch = int(value)
        else:
            fail("expected nprobe=N or efSearch=N for a binary index, received %r" % part)


def load_f32(path, d):
    import numpy as np

    if not os.path.exists(path):
        fail("expected raw float32 file %s, received no such file" % path)
    a = np.fromfile(path, dtype="<f4")
    if a.size % d != 0:
        fail("expected a multiple of d=%d floats in %s, received %d" % (d, path, a.size))
    return np.ascontiguousarray(a.reshape(-1, d))


def main():
    if len(sys.argv) != 2:
        fail("usage: faiss_runner.py JOB.json")
    with open(sys.argv[1]) as f:
        job = json.load(f)
    try:
        import faiss
        import numpy as np
    except ImportError as e:
        fail("cannot import faiss/numpy (%s); install with apt-get install -y python3-faiss libopenblas0-pthread" % e)

    threads = int(job.get("threads", 1))
    faiss.omp_set_num_threads(threads)
    d = int(job["d"])
    data_dir = job["dataDir"]
    k = int(job["k"])
    nq = int(job["nq"])
    metric_name = job.get("metric", "l2")
    if metric_name not in ("l2", "ip"):
        fail("expected metric 'l2' or 'ip', received %r" % metric_name)
    metric = faiss.METRIC_L2 if metric_name == "l2" else faiss.METRIC_INNER_PRODUCT
    factory = job.get("factory", "Flat")
    modes = job.get("modes", ["batch"])
    warmup = int(job.get("warmup", 1))
    reps = int(job.get("reps", 3))
    single_queries = int(job.get("singleQueries", 100))
    single_warmup = int(job.get("singleWarmup", 10))
    search_params = job.get("searchParams", [""]) or [""]
    out_dir = job["outDir"]
    tag = job.get("tag", "t%d" % threads)

    binary = bool(job.get("binary", False))
    if binary:
        # d is in bits; the data are packed codes of d / 8 bytes (xb.u8, xq.u8, optionally xt.u8)
        cs = d // 8
        xb = load_u8(os.path.join(data_dir, "xb.u8"), cs)
        xq_all = load_u8(os.path.join(data_dir, "xq.u8"), cs)
        xt_path = os.path.join(data_dir, "xt.u8")
        xt = load_u8(xt_path, cs) if os.path.exists(xt_path) and os.path.getsize(xt_path) > 0 else xb
    else:
        xb = load_f32(os.path.join(data_dir, "xb.f32"), d)
        xq_all = load_f32(os.path.join(data_dir, "xq.f32"), d)
        xt_path = os.path.join(data_dir, "xt.f32")
        xt = load_f32(xt_path, d) if os.path.exists(xt_path) and os.path.getsize(xt_path) > 0 else xb
    if xq_all.shape[0] < nq:
        fail("expected at least nq=%d queries, received %d" % (nq, xq_all.shape[0]))
    xq = np.ascontiguousarray(xq_all[:nq])

    try:
        index = faiss.index_binary_factory(d, factory) if binary else faiss.index_factory(d, factory, metric)
    except Exception as e:  # faiss raises RuntimeError with its own message
        fail("FAISS cannot build index %r: %s" % (factory, e))

    result = {
        "faissVersion": getattr(faiss, "__version__", "unknown"),
        "numpyVersion": np.__version__,
        "threads": threads,
        "ompMaxThreads": faiss.omp_get_max_threads(),
        "factory": factory,
        "metric": metric_name,
        "nb": int(xb.shape[0]),
        "nq": nq,
        "d": d,
        "k": k,
        "env": {
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        },
        "trainSeconds": 0.0,
        "addSeconds": 0.0,
        "searches": [],
    }

    if not index.is_trained:
        t0 = time.perf_counter()
        index.train(xt)
        result["trainSeconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.add(xb)
    result["addSeconds"] = time.perf_counter() - t0
    if job.get("measureMemory", True):
        blob = faiss.serialize_index_binary(index) if binary else faiss.serialize_index(index)
        result["memoryBytes"] = int(blob.size)
        result["memoryMethod"] = "serialized size (faiss.serialize_index%s)" % ("_binary" if binary else "")

    ps = None if binary else faiss.ParameterSpace()
    for si, params in enumerate(search_params):
        if params:
            try:
                if binary:
                    set_binary_param(index, params)
                else:
                    ps.set_index_parameters(index, params)
            except SystemExit:
                raise
            except Exception as e:
                fail("FAISS cannot set parameters %r on %r: %s" % (params, factory, e))
        entry = {"params": params}
        if "batch" in modes:
            D = I = None
            for _ in range(warmup):
                D, I = index.search(xq, k)
            seconds = []
            for _ in range(reps):
                t0 = time.perf_counter()
                D, I = index.search(xq, k)
                seconds.append(time.perf_counter() - t0)
            labels_file = "labels-%s-%d.i64" % (tag, si)
            dist_file = "distances-%s-%d.f32" % (tag, si)
            np.ascontiguousarray(I, dtype="<i8").tofile(os.path.join(out_dir, labels_file))
            np.ascontiguousarray(D, dtype="<f4").tofile(os.path.join(out_dir, dist_file))
            entry["batch"] = {"seconds": seconds, "labelsFile": labels_file, "distancesFile": dist_file}
        if "single" in modes:
            n = min(single_queries, nq)
            for i in range(min(single_warmup, n)):
                index.search(xq[i : i + 1], k)
            lat = []
            single_labels = np.empty((n, k), dtype="<i8")
            single_dist = np.empty((n, k), dtype="<f4")
            for i in range(n):
                q = xq[i : i + 1]
                t0 = time.perf_counter()
                D1, I1 = index.search(q, k)
                lat.append((time.perf_counter() - t0) * 1000.0)
                single_labels[i] = I1[0]
                single_dist[i] = D1[0]
            single_file = "single-labels-%s-%d.i64" % (tag, si)
            single_dfile = "single-distances-%s-%d.f32" % (tag, si)
            single_labels.tofile(os.path.join(out_dir, single_file))
            single_dist.tofile(os.path.join(out_dir, single_dfile))
            entry["single"] = {"latenciesMs": lat, "labelsFile": single_file, "distancesFile": single_dfile}
        result["searches"].append(entry)

    with open(os.path.join(out_dir, job.get("resultFile", "result-%s.json" % tag)), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
