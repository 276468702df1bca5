#!/usr/bin/env python3
"""Writes reports/peer-tests/*.json: the cases of llama.cpp's scheduler tests
(tests/test-backend-sched-inputs.cpp, test-backend-sched-ring.cpp, test-backend-sched.cpp) as
program scenarios, with the verdicts and host-blocking synchronization counts expected of each
policy. docs/peer-tests.md maps every case to its file and says which cases are left out and why.

Run from the repository root: scripts/peer-test-scenarios.py [OUT_DIR]. The files are generated
so that the many variants of one test stay alike; the expectations below are the project's claims,
checked by `schedcheck corpus` (and against the real trees by `corpus --real-ggml`).
"""
import json
import os
import sys

VERSIONS = ["ggml-v0", "ggml-17795", "ggml-20463", "ggml-20793", "ggml-25138", "ggml-26040"]
ALL = VERSIONS + ["schedcheck-min"]


def gpu_backend(name, kind, device, transfer_queue=False, integrated=False):
    b = {"name": name, "kind": kind, "device": device, "compute_buffer": name + "_compute"}
    if transfer_queue:
        b["transfer_queue"] = True
        b["compute_queue_copy_max"] = 65536  # the test's GGML_VK_COMPUTE_STREAM_COPY_MAX
    if integrated:
        b["integrated"] = True
    return b


def device_buffer(gpu, usage, size=None):
    b = {"name": f"{gpu}_{usage}", "kind": "device", "backend": gpu, "usage": usage}
    if size is not None:
        b["size"] = size
    return b


def scenario(name, description, backends, buffers, tensors, inputs, nodes, program, expect,
             scheduler=None):
    s = {"schema": "schedcheck-scenario/1", "name": name, "description": description,
         "backends": backends, "buffers": buffers}
    if tensors:
        s["tensors"] = tensors
    if inputs:
        s["inputs"] = inputs
    s["graph"] = {"nodes": nodes}
    if scheduler:
        s["scheduler"] = scheduler
    s["program"] = program
    s["expect"] = expect
    return s


def expect_clean(policies, steps=None):
    e = {}
    for p in policies:
        e[p] = {"verdict": "clean"}
        if steps and p in steps:
            e[p]["host_syncs"] = {"steps": steps[p]}
    return e


# ---- test-backend-sched-inputs.cpp ------------------------------------------------------------
# Per policy: host-blocking synchronizations of queuing one evaluation, by (kind, CPU buffer).
INPUT_QUEUE_SYNCS = {
    ("CUDA", "pageable_host"): {"ggml-v0": 3, "ggml-17795": 2, "ggml-20463": 3, "ggml-20793": 2,
                                "ggml-25138": 3, "ggml-26040": 3, "schedcheck-min": 1},
    ("CUDA", "pinned_host"): {"ggml-v0": 3, "ggml-17795": 2, "ggml-20463": 3, "ggml-20793": 2,
                              "ggml-25138": 3, "ggml-26040": 3, "schedcheck-min": 1},
    ("Vulkan", "pageable_host"): {"ggml-v0": 3, "ggml-17795": 4, "ggml-20463": 3,
                                  "ggml-20793": 4, "ggml-25138": 3, "ggml-26040": 3,
                                  "schedcheck-min": 3},
    ("Vulkan", "pinned_host"): {"ggml-v0": 2, "ggml-17795": 2, "ggml-20463": 2, "ggml-20793": 2,
                                "ggml-25138": 2, "ggml-26040": 2, "schedcheck-min": 1},
}


def sched_inputs(kind, host_kind, n_bytes, transfer_queue):
    gpu = kind + "0"
    where = "host-buffer" if host_kind == "pinned_host" else "host-memory"
    name = f"sched-inputs-{kind.lower()}{'-transfer-queue' if transfer_queue else ''}-{where}-{n_bytes // 1024}k"
    description = (
        f"llama.cpp tests/test-backend-sched-inputs.cpp on a {kind} device"
        + (" with a transfer queue, which copies above the test's 64 KiB compute-stream limit"
           " take" if transfer_queue else "")
        + f", CPU tensors in {'the device host buffer type (pinned)' if host_kind == 'pinned_host' else 'plain host memory (pageable)'}"
        + f", {n_bytes // 1024} KiB tensors. x*c runs on the CPU, eight mul+add layers with the"
        " weight w and the input y on the GPU. Evaluation A is queued and its inputs are"
        " overwritten at once, its result fetched asynchronously; evaluation B is queued behind A"
        " into the same device copies of the inputs and its inputs overwritten; then one"
        " ggml_backend_sched_synchronize and a blocking get of B's result. Two rounds (the test"
        " makes four).")
    backends = [gpu_backend(gpu, kind, 0, transfer_queue),
                {"name": "CPU", "kind": "CPU", "compute_buffer": "CPU_compute"}]
    buffers = [device_buffer(gpu, "compute"),
               {"name": "CPU_compute", "kind": host_kind, "usage": "compute"},
               device_buffer(gpu, "weights", n_bytes),
               {"name": "CPU_weights", "kind": host_kind, "usage": "weights", "size": n_bytes},
               {"name": "got_a", "kind": "pageable_host", "usage": "output", "size": n_bytes},
               {"name": "got_b", "kind": "pageable_host", "usage": "output", "size": n_bytes}]
    tensors = [{"name": "w", "buffer": f"{gpu}_weights", "offset": 0, "size": n_bytes},
               {"name": "c", "buffer": "CPU_weights", "offset": 0, "size": n_bytes}]
    inputs = [{"name": "x", "size": n_bytes}, {"name": "y", "size": n_bytes}]
    nodes = [{"name": "x_c", "op": "mul", "backend": "CPU", "sources": ["x", "c"],
              "size": n_bytes}]
    cur = "x_c"
    for layer in range(8):
        nodes.append({"name": f"wx-{layer}", "op": "mul", "backend": gpu,
                      "sources": [cur, "w"], "size": n_bytes})
        out = "out" if layer == 7 else f"l_out-{layer}"
        node = {"name": out, "op": "add", "backend": gpu, "sources": [f"wx-{layer}", "y"],
                "size": n_bytes}
        if layer == 7:
            node["flags"] = ["OUTPUT"]
        nodes.append(node)
        cur = out
    program = [{"step": "alloc_graph"}]
    for r in range(2):
        program += [
            {"step": "set_input", "tensor": "x"}, {"step": "set_input", "tensor": "y"},
            {"step": "compute", "name": f"queue A{r}"},
            {"step": "set_input", "tensor": "x", "name": f"overwrite x after A{r}"},
            {"step": "set_input", "tensor": "y", "name": f"overwrite y after A{r}"},
            {"step": "get_output", "tensor": "out", "into": "got_a"},
            {"step": "set_input", "tensor": "x"}, {"step": "set_input", "tensor": "y"},
            {"step": "compute", "name": f"queue B{r}"},
            {"step": "set_input", "tensor": "x", "name": f"overwrite x after B{r}"},
            {"step": "set_input", "tensor": "y", "name": f"overwrite y after B{r}"},
            {"step": "synchronize"},
            {"step": "get_output", "tensor": "out", "into": "got_b", "async": False},
            {"step": "read_output", "tensor": "out"},
        ]
    syncs = INPUT_QUEUE_SYNCS[(kind, host_kind)]
    steps = {}
    for p in ALL:
        bound = "at_most" if p == "schedcheck-min" else "exactly"
        steps[p] = {"queue A0": {bound: syncs[p]}, "queue B0": {bound: syncs[p]},
                    "overwrite x after A0": {"exactly": 0}, "overwrite y after A0": {"exactly": 0}}
    return name, scenario(name, description, backends, buffers, tensors, inputs, nodes, program,
                          expect_clean(ALL, steps))


def all_sched_inputs():
    out = []
    for host_kind in ("pageable_host", "pinned_host"):
        for n_bytes in (16384, 4 << 20):
            out.append(sched_inputs("CUDA", host_kind, n_bytes, False))
            out.append(sched_inputs("Vulkan", host_kind, n_bytes, False))
            out.append(sched_inputs("Vulkan", host_kind, n_bytes, True))
    return out


# ---- test-backend-sched-ring.cpp (llama#27311) ------------------------------------------------
RING = "ggml-26040+uma-ring"


def ring_single_copy():
    name = "sched-ring-single-copy"
    description = (
        "llama.cpp tests/test-backend-sched-ring.cpp, test_single_copy: one synchronous backend;"
        " queuing a graph and then ggml_backend_sched_prepare_inputs make no synchronization (the"
        " input is written first here; the test leaves it unwritten).")
    backends = [{"name": "CPU", "kind": "CPU", "compute_buffer": "CPU_compute"}]
    buffers = [{"name": "CPU_compute", "kind": "pageable_host", "usage": "compute"}]
    inputs = [{"name": "input", "size": 16}]
    nodes = [{"name": "output", "op": "scale", "backend": "CPU", "sources": ["input"],
              "size": 16, "flags": ["OUTPUT"]}]
    program = [{"step": "alloc_graph"}, {"step": "set_input", "tensor": "input"},
               {"step": "compute", "name": "queue"},
               {"step": "prepare_inputs", "name": "prepare"}]
    none = {"queue": {"exactly": 0}, "prepare": {"exactly": 0}}
    return name, scenario(name, description, backends, buffers, [], inputs, nodes, program,
                          expect_clean([RING, "ggml-26040"], {RING: none, "ggml-26040": none}))


def ring_shared_input(submissions=6):
    name = "sched-ring-shared-input"
    description = (
        "llama.cpp tests/test-backend-sched-ring.cpp, test_shared_input_ring: an asynchronous"
        " GPU-typed device with events that reads the CPU's input in place (here an integrated"
        " HIP device over the pinned host buffer, the model's in-place reader), output on the"
        f" device. {submissions} submissions (2 n_copies + 2 with the ring's 2 slots), each"
        " prepare_inputs, write the input, queue the graph, fetch the output asynchronously,"
        " with no synchronize until the end; then every result is read. With the ring (llama#27311)"
        " the host waits only for the graph that last read the slot it rewrites; without it,"
        " the input is rewritten while the graph before still reads it in place (H5).")
    backends = [gpu_backend("HIP0", "HIP", 0, integrated=True),
                {"name": "CPU", "kind": "CPU", "compute_buffer": "CPU_compute"}]
    buffers = [device_buffer("HIP0", "compute"),
               {"name": "CPU_compute", "kind": "pinned_host", "usage": "compute"},
               # Pinned: the test's backend fetches asynchronously; into pageable memory HIP's
               # get_tensor_async would wait for the graph, ordering the next input write.
               {"name": "results", "kind": "pinned_host", "usage": "output",
                "size": 4 * submissions}]
    inputs = [{"name": "input", "size": 4}]
    nodes = [{"name": "output", "op": "scale", "backend": "HIP0", "sources": ["input"],
              "size": 4, "flags": ["OUTPUT"]}]
    program = [{"step": "alloc_graph"}]
    steps = {}
    for i in range(submissions):
        program += [{"step": "prepare_inputs", "name": f"prepare {i}"},
                    {"step": "set_input", "tensor": "input"},
                    {"step": "compute", "name": f"queue {i}"},
                    {"step": "get_output", "tensor": "output", "into": "results", "row": i}]
        steps[f"queue {i}"] = {"exactly": 0}
        steps[f"prepare {i}"] = {"at_most": 1}
    program.append({"step": "synchronize"})
    program += [{"step": "read_output", "tensor": "output", "row": i} for i in range(submissions)]
    expect = {RING: {"verdict": "clean", "host_syncs": {"steps": steps}},
              "ggml-26040": {"verdict": "race", "mechanisms": ["H5"]}}
    return name, scenario(name, description, backends, buffers, [], inputs, nodes, program, expect)


# ---- test-backend-sched.cpp -----------------------------------------------------------------
# Two GPUs and the CPU ("all backends present"), 4096-float tensors, the constants 0 and 1 on every
# backend (backend_consts: each backend's default buffer type).
N = 16384
GPUS = ["CUDA0", "CUDA1"]
ALL_BACKENDS = GPUS + ["CPU"]
# Where a version races (default: clean for every policy). llama#23321's race: a CPU split without
# inputs rewrites, in memory the allocator reused, the source of a pinned host->device copy that
# Vulkan has not run yet (H2); ggml-26040 synchronizes before every CPU split. The Y-shaped test
# meets the same race when its seeds run on the CPU.
H2 = {"verdict": "race", "mechanisms": ["H2"]}
RACES = {f"sched-{case}-host-buffer": {v: H2 for v in ("ggml-v0", "ggml-20463", "ggml-25138")}
         for case in ("inputless-splits-vulkan", "y-shaped-cpu-vulkan0")}


def kind_of(backend):
    return backend.rstrip("0123456789")


def sched_setup(backends, host_kind, outputs):
    bj = [gpu_backend(b, kind_of(b), i) for i, b in enumerate(b for b in backends if b != "CPU")]
    bj.append({"name": "CPU", "kind": "CPU", "compute_buffer": "CPU_compute"})
    buffers = [device_buffer(b, "compute") for b in backends if b != "CPU"]
    buffers.append({"name": "CPU_compute", "kind": host_kind, "usage": "compute"})
    tensors = []
    for b in backends:
        kind = "pageable_host" if b == "CPU" else "device"
        buf = {"name": f"{b}_consts", "kind": kind, "usage": "weights", "size": 2 * N}
        if b != "CPU":
            buf["backend"] = b
        buffers.append(buf)
        tensors += [{"name": f"zero_{b}", "buffer": f"{b}_consts", "offset": 0, "size": N},
                    {"name": f"one_{b}", "buffer": f"{b}_consts", "offset": N, "size": N}]
    buffers.append({"name": "checked", "kind": "pageable_host", "usage": "output",
                    "size": N * max(1, outputs)})
    return bj, buffers, tensors


def checked_program(outputs, inputs=()):
    program = [{"step": "alloc_graph"}]
    program += [{"step": "set_input", "tensor": t} for t in inputs]
    program.append({"step": "compute", "async": False, "name": "compute"})
    program += [{"step": "get_output", "tensor": t, "into": "checked", "row": i, "async": False}
                for i, t in enumerate(outputs)]
    return program


def sched_case(name, description, backends, host_kind, nodes, outputs, inputs=(),
               scheduler=None):
    bj, buffers, tensors = sched_setup(backends, host_kind, len(outputs))
    expect = {p: RACES.get(name, {}).get(p, "clean") for p in ALL}
    ins = [{"name": t, "size": N} for t in inputs]
    return name, scenario(name, description, bj, buffers, tensors, ins, nodes,
                          checked_program(outputs, inputs), expect, scheduler)


def where(host_kind):
    return "host-buffer" if host_kind == "pinned_host" else "host-memory"


def add(name, a, b, backend, output=False):
    n = {"name": name, "op": "add", "backend": backend, "sources": [a, b], "size": N}
    if output:
        n["flags"] = ["OUTPUT"]
    return n


def inputless_splits(gpu, host_kind):
    name = f"sched-inputless-splits-{kind_of(gpu).lower()}-{where(host_kind)}"
    description = (
        "llama.cpp tests/test-backend-sched.cpp, test_inputless_splits_scheduling (llama#23321):"
        " a GPU split sleeps to clog its queue; a CPU split produces 55, which the next GPU split"
        " copies and adds 44 to; a later CPU split without inputs produces 66 into memory the"
        " allocator may give it over 55's. If the copy of 55 has not run yet, it reads 66."
        f" {kind_of(gpu)}; CPU compute buffer: {where(host_kind)}.")
    backends = [gpu, "CPU"]
    bj, buffers, tensors = sched_setup(backends, host_kind, 3)
    tensors += [{"name": "val44", "buffer": f"{gpu}_consts", "offset": 2 * N, "size": N},
                {"name": "val55", "buffer": "CPU_consts", "offset": 2 * N, "size": N},
                {"name": "val66", "buffer": "CPU_consts", "offset": 3 * N, "size": N}]
    for b in buffers:
        if b["name"] in (f"{gpu}_consts", "CPU_consts"):
            b["size"] = (3 if b["name"] == f"{gpu}_consts" else 4) * N
    nodes = [add("seed", f"zero_{gpu}", f"one_{gpu}", gpu),
             {"name": "delayed", "op": "sleep", "backend": gpu, "sources": ["seed"],
              "size": N, "flags": ["OUTPUT"]},
             add("v55", "zero_CPU", "val55", "CPU"),
             add("v99", "v55", "val44", gpu),
             add("v66", "zero_CPU", "val66", "CPU"),
             add("out99", "v99", f"one_{gpu}", gpu, True),
             add("out66", "v66", f"one_{gpu}", gpu, True)]
    expect = {p: RACES.get(name, {}).get(p, "clean") for p in ALL}
    return name, scenario(name, description, bj, buffers, tensors, [], nodes,
                          checked_program(["delayed", "out99", "out66"]), expect)


def config(backends):
    return "-".join(kind_of(b).lower() for b in backends if b != "CPU")


def chain_all_backends(backends, host_kind):
    name = f"sched-chain-all-backends-{config(backends)}-{where(host_kind)}"
    seq = []
    for i in range(len(backends)):
        for j in range(len(backends)):
            if i != j:
                for b in (i, j):
                    if not seq or seq[-1] != b:
                        seq.append(b)
    nodes = []
    for k, b in enumerate(seq):
        be = backends[b]
        src = f"zero_{be}" if k == 0 else f"chain-{k - 1}"
        nodes.append(add(f"chain-{k}", src, f"one_{be}", be, k == len(seq) - 1))
    description = (
        "llama.cpp tests/test-backend-sched.cpp, test_chain_all_backends: one activation passed"
        f" along a chain in which every backend sends to every other ({', '.join(backends)}), one"
        f" increment per node. CPU compute buffer: {where(host_kind)}.")
    return sched_case(name, description, backends, host_kind, nodes, [nodes[-1]["name"]])


def y_shaped(backends, a, b, host_kind):
    name = f"sched-y-shaped-{a.lower()}-{b.lower()}-{where(host_kind)}"
    nodes = [add("seed_a", f"zero_{a}", f"one_{a}", a), add("lane_a", "seed_a", f"one_{b}", b),
             add("seed_b", f"zero_{a}", f"one_{a}", a), add("lane_b", "seed_b", f"one_{b}", b),
             add("out", "lane_a", "lane_b", a, True)]
    description = (
        f"llama.cpp tests/test-backend-sched.cpp, test_y_shaped_graph {a} -> {b}: two lanes on"
        f" {b} seeded on {a} merge in a last split on {a}, which takes one activation from each."
        f" CPU compute buffer: {where(host_kind)}.")
    return sched_case(name, description, backends, host_kind, nodes, ["out"])


def pair_user_inputs(send, recv, on_sender, parallel):
    host_kind = "pageable_host"
    side = "sender" if on_sender else "receiver"
    name = (f"sched-pair-inputs-{send.lower()}-{recv.lower()}-on-{side}"
            f"{'-parallel' if parallel else ''}")
    inputs = [f"in{k}" for k in range(4)]
    nodes = [add("out-0", f"zero_{send}", f"one_{send}", send)]
    for k, t in enumerate(inputs):
        nodes.append(add(f"out-{k + 1}", f"out-{k}", t, recv, k == len(inputs) - 1))
    description = (
        f"llama.cpp tests/test-backend-sched.cpp, test_pair_user_inputs {send} -> {recv}, four"
        f" user inputs on the {side} (the CPU), parallel = {str(parallel).lower()}: the receiving"
        " split takes the sender's activation and the inputs. The inputs are in the CPU's"
        " compute buffer (the test allocates them in the CPU's default, pageable, buffer type).")
    return sched_case(name, description, ALL_BACKENDS, host_kind, nodes,
                      [nodes[-1]["name"]], inputs,
                      {"pipeline_parallel": True} if parallel else None)


def stress_dag(backends, n_lanes, n_rounds, host_kind):
    name = (f"sched-stress-dag-{config(backends)}-{n_lanes}-lanes-{n_rounds}-rounds-"
            f"{where(host_kind)}")
    n_b = len(backends)
    nodes, outputs = [], []
    lane = [None] * n_lanes
    last = [0]

    def node(nm, a, b_src, be):
        nodes.append(add(nm, a, b_src, backends[be]))
        last[0] = be
        return nm

    def seed(b, prefix):
        for i in range(n_lanes):
            src = f"zero_{backends[b]}" if i == 0 else lane[i - 1]
            lane[i] = node(f"{prefix}{i}", src, f"one_{backends[b]}", b)

    def check_lanes():
        for t in lane:
            if t not in outputs:
                outputs.append(t)

    seed(0, "seed")
    older = list(lane)
    for r in range(n_rounds):
        b = (last[0] + 1) % n_b
        prev = list(lane)
        if r % 5 == 0:
            for p in range(n_lanes // 2):
                la, lb = 2 * p, 2 * p + 1
                prod = (b + p) % n_b
                cons = (prod + 1) % n_b
                for li in (la, lb):
                    lane[li] = node(f"r{r}_prod{li}", lane[li], f"one_{backends[prod]}", prod)
                lane[la] = node(f"r{r}_cons{la}", lane[la], f"one_{backends[cons]}", cons)
                lane[lb] = node(f"r{r}_cons{lb}", lane[lb], f"one_{backends[prod]}", prod)
        elif r % 5 == 1:
            check_lanes()
            seed(b, f"restart{r}_")
        elif r % 5 == 4:
            lane[0] = node(f"r{r}_single", prev[0], f"one_{backends[b]}", b)
        else:
            for li in range(n_lanes):
                partner = (li + 1 + r) % n_lanes
                reach_back = r >= 2 and li == r % n_lanes
                a = older[li] if reach_back else prev[li]
                lane[li] = node(f"r{r}_lane{li}", a, prev[partner], b)
        older = prev
    check_lanes()
    for n in nodes:
        if n["name"] in outputs:
            n["flags"] = ["OUTPUT"]
    description = (
        f"llama.cpp tests/test-backend-sched.cpp, stress_test_dag with {n_lanes} lanes and"
        f" {n_rounds} rounds over {', '.join(backends)}: splits producing two values consumed by"
        " two independent splits, splits without inputs re-seeded from constants, and splits"
        " taking one activation per lane, one from an older split. Every checked lane is read"
        f" back. CPU compute buffer: {where(host_kind)}.")
    return sched_case(name, description, backends, host_kind, nodes, outputs)


def all_sched():
    out = []
    vulkan = ["Vulkan0", "CPU"]
    for host_kind in ("pageable_host", "pinned_host"):
        for gpu in ("CUDA0", "Vulkan0"):
            out.append(inputless_splits(gpu, host_kind))
        for backends in (ALL_BACKENDS, vulkan):
            out.append(chain_all_backends(backends, host_kind))
            for a in backends:
                for b in backends:
                    if a != b:
                        out.append(y_shaped(backends, a, b, host_kind))
            out.append(stress_dag(backends, 8, 5, host_kind))
        out.append(stress_dag(ALL_BACKENDS, 8, 13, host_kind))
    for gpu in GPUS:
        for parallel in (False, True):
            out.append(pair_user_inputs("CPU", gpu, True, parallel))
            out.append(pair_user_inputs(gpu, "CPU", False, parallel))
    return out


def write(out_dir, items):
    os.makedirs(out_dir, exist_ok=True)
    for name, s in items:
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            f.write(json.dumps(s, indent=1) + "\n")


if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "reports/peer-tests"
    items = all_sched_inputs() + [ring_single_copy(), ring_shared_input()] + all_sched()
    write(out_dir, items)
    print(f"wrote {len(items)} scenarios to {out_dir}")
