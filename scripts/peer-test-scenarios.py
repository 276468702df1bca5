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

from peer_test_common import ALL, gpu_backend, device_buffer, scenario, expect_clean
from peer_test_sched import all_sched

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
