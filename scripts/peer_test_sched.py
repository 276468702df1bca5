"""llama.cpp's tests/test-backend-sched.cpp as program scenarios (for
scripts/peer-test-scenarios.py): inputless splits, chains, Y-shaped graphs, pairs with user inputs,
the linked-list and DAG stress tests."""
from peer_test_common import ALL, gpu_backend, device_buffer, scenario

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


def pair_nodes(send, recv):
    """test_pair_user_inputs' graph: 0 + 1 on the sender, then four inputs added on the receiver."""
    inputs = [f"in{k}" for k in range(4)]
    nodes = [add("out-0", f"zero_{send}", f"one_{send}", send)]
    for k, t in enumerate(inputs):
        nodes.append(add(f"out-{k + 1}", f"out-{k}", t, recv, k == len(inputs) - 1))
    return inputs, nodes


def pair_user_inputs(send, recv, on_sender, parallel):
    host_kind = "pageable_host"
    side = "sender" if on_sender else "receiver"
    name = (f"sched-pair-inputs-{send.lower()}-{recv.lower()}-on-{side}"
            f"{'-parallel' if parallel else ''}")
    inputs, nodes = pair_nodes(send, recv)
    description = (
        f"llama.cpp tests/test-backend-sched.cpp, test_pair_user_inputs {send} -> {recv}, four"
        f" user inputs on the {side} (the CPU), parallel = {str(parallel).lower()}: the receiving"
        " split takes the sender's activation and the inputs. The inputs are in the CPU's"
        " compute buffer (the test allocates them in the CPU's default, pageable, buffer type).")
    return sched_case(name, description, ALL_BACKENDS, host_kind, nodes,
                      [nodes[-1]["name"]], inputs,
                      {"pipeline_parallel": True} if parallel else None)


def placed_case(name, description, backends, host_kind, nodes, outputs, placed):
    """A case whose user inputs the test allocates itself (ggml_backend_alloc_ctx_tensors with a
    backend's default buffer type: device memory, or the CPU's pageable memory) and writes with a
    blocking ggml_backend_tensor_set before the scheduler allocates the graph."""
    bj, buffers, tensors = sched_setup(backends, host_kind, len(outputs))
    ins = []
    for backend, names in placed.items():
        if not names:
            continue
        buf = {"name": f"{backend}_inputs", "kind": "pageable_host" if backend == "CPU" else "device",
               "usage": "input", "size": N * len(names)}
        if backend != "CPU":
            buf["backend"] = backend
        buffers.append(buf)
        ins += [{"name": t, "buffer": buf["name"], "offset": k * N, "size": N}
                for k, t in enumerate(names)]
    program = [{"step": "set_input", "tensor": t["name"]} for t in ins]
    program += checked_program(outputs)
    expect = {p: RACES.get(name, {}).get(p, "clean") for p in ALL}
    return name, scenario(name, description, bj, buffers, tensors, ins, nodes, program, expect)


def pair_placed_inputs(send, recv, on_sender, host_kind):
    side = "sender" if on_sender else "receiver"
    owner = send if on_sender else recv
    name = f"sched-pair-inputs-{send.lower()}-{recv.lower()}-on-{side}-{where(host_kind)}"
    inputs, nodes = pair_nodes(send, recv)
    description = (
        f"llama.cpp tests/test-backend-sched.cpp, test_pair_user_inputs {send} -> {recv}, four"
        f" user inputs on the {side} ({owner}), parallel = false: the test allocates them in"
        f" {owner}'s default buffer type and writes them with ggml_backend_tensor_set before the"
        f" graph is allocated. CPU compute buffer: {where(host_kind)}.")
    return placed_case(name, description, ALL_BACKENDS, host_kind, nodes, [nodes[-1]["name"]],
                       {owner: inputs})


def linked_list(backends, n_laps, host_kind):
    n_b = len(backends)
    chain = [b for i in range(n_b) for j in range(i + 1, n_b) for b in (i, j)]
    chain_len = len(chain)
    n_nodes = 2 * chain_len * n_laps + 1
    # A node of every second pass adds a user input placed on the backend that sends it the
    # activation, so that the receiving split copies both.
    placed = {b: [] for b in backends}
    nodes = []
    for i in range(n_nodes):
        be = backends[chain[i % chain_len]]
        if i == 0:
            srcs = (f"zero_{be}", f"one_{be}")
        elif ((i - 1) // chain_len) % 2 == 0:
            srcs = (f"node{i - 1}", f"one_{be}")
        else:
            placed[backends[chain[(i - 1) % chain_len]]].append(f"input{i}")
            srcs = (f"node{i - 1}", f"input{i}")
        nodes.append(add(f"node{i}", *srcs, be, i == n_nodes - 1))
    name = f"sched-linked-list-{config(backends)}-{n_laps}-lap{'s' if n_laps > 1 else ''}-{where(host_kind)}"
    description = (
        "llama.cpp tests/test-backend-sched.cpp, stress_test_linked_list with"
        f" {n_laps} lap{'s' if n_laps > 1 else ''} over {', '.join(backends)}: one activation"
        " passed back and forth between every pair of backends; in every second pass each node"
        " also adds a user input that the test placed on the sending backend (its default"
        " buffer type) and wrote before the graph was allocated. CPU compute buffer:"
        f" {where(host_kind)}.")
    return placed_case(name, description, backends, host_kind, nodes, [nodes[-1]["name"]],
                       placed)


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
    # Inputs the test places itself: on a GPU (device memory), or on the CPU whatever buffer type
    # the scheduler's CPU compute buffer has (the host-buffer variants). Parallel = false only.
    for host_kind in ("pageable_host", "pinned_host"):
        for send in ALL_BACKENDS:
            for recv in ALL_BACKENDS:
                for on_sender in (True, False):
                    owner = send if on_sender else recv
                    cpu_inputs_in_compute = owner == "CPU" and host_kind == "pageable_host"
                    if send != recv and not cpu_inputs_in_compute:
                        out.append(pair_placed_inputs(send, recv, on_sender, host_kind))
        for backends in (ALL_BACKENDS, vulkan):
            out.append(linked_list(backends, 1, host_kind))
        out.append(linked_list(ALL_BACKENDS, 4, host_kind))
    return out
