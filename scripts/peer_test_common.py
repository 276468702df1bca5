"""Helpers of scripts/peer-test-scenarios.py: the policies, backends, buffers and the scenario
object that every generated peer-test case is made of."""

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
