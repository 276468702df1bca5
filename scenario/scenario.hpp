// A scenario: backends, buffers, tensors and the graph (or its splits), scheduler and driver
// settings, custom policies and expected verdicts. Everything is resolved to indices.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scenario/backend_kind.hpp"
#include "scenario/capabilities.hpp"
#include "scenario/mechanism.hpp"
#include "scenario/policy.hpp"
#include "scenario/program.hpp"
#include "scenario/verdict.hpp"

namespace schedcheck {

using Index = int;
constexpr Index kNone = -1;

struct CapabilityOverride {
  std::string field;
  // Exactly one of these is meaningful, by the field's type.
  bool boolean = false;
  HostTransfer host_transfer = HostTransfer::at_execution;
  CopyQueue copy_queue = CopyQueue::source_then_event;
};

struct Backend {
  std::string name;
  BackendKind kind = BackendKind::cpu;
  int device = -1;               // physical device (GPU kinds); several backends may share one
  Index compute_buffer = kNone;  // where the allocator places this backend's tensors
  std::vector<CapabilityOverride> overrides;
  bool integrated = false;  // an integrated GPU (APU): its device memory is the host's
  // Device properties ggml's backends read from the device (docs/scenario-format.md):
  bool transfer_queue = false;   // Vulkan async_use_transfer_queue (AMD RDNA discrete, env)
  bool support_async = true;     // Vulkan support_async (false: Intel DG1, GGML_VK_DISABLE_ASYNC)
  bool private_buffers = false;  // Metal buffers in private storage (no unified memory, env)
  // Vulkan with a transfer queue: host->device copies of at most this many bytes stay on the
  // compute queue, larger ones take the transfer queue (GGML_VK_COMPUTE_STREAM_COPY_MAX, after
  // ggml-head). 0: every copy takes the transfer queue.
  uint64_t compute_queue_copy_max = 0;
  // A meta backend (BackendKind::meta): its member backends, in ggml's device order. A member
  // is not one of the scheduler's backends; it names the meta backend it belongs to.
  std::vector<Index> members{};
  Index meta = kNone;
};

struct Buffer {
  std::string name;
  BufferKind kind = BufferKind::pinned_host;
  BufferUsage usage = BufferUsage::compute;
  Index owner = kNone;  // device buffers: the backend whose device memory it is
  uint64_t size = 0;    // 0 for compute buffers: the allocator sizes them
  uint64_t alignment = 32;
  // Program scenarios: the buffer an alloc_buffer step places in this one's memory once a
  // free_buffer step released it (kNone: allocated for the whole run).
  Index reuses = kNone;
};

enum TensorFlag : uint8_t { kFlagInput = 1, kFlagOutput = 2 };

enum class TensorRole {
  persistent,   // weights, KV cache, ...: explicit buffer and offset, initialized before the run
  user_input,   // INPUT-flagged, written by the host every ubatch (set_inputs)
  node_output,  // produced by a node; placed by the allocator unless given explicitly
};

// Scenarios computed with their own ops (docs/scenario-format.md "Shapes, values and views"):
// every tensor has a shape and an element type, and every input and persistent tensor says how
// its values are made. The model looks only at sizes; ggml's backends compute the ops.
enum class ElementType : uint8_t { f32, i32 };

struct TensorValues {
  enum class Fill : uint8_t {
    uniform,      // values in [-scale, scale]
    tokens,       // int ids in [0, below)
    positions,    // eval * ne0 + i: token positions and KV cells of consecutive ubatches
    causal_mask,  // [cells, tokens]: 0 where cell <= eval * tokens + token, else -inf
  };
  Fill fill = Fill::uniform;
  double scale = 1;
  int64_t below = 0;
};

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;  // ne0.. (1 to 4 dims); empty: bytes only (size)
  ElementType type = ElementType::f32;
  TensorValues values;
  TensorRole role = TensorRole::node_output;
  uint64_t size = 0;
  uint8_t flags = 0;
  Index buffer = kNone;            // explicit placement, or kNone (allocator decides)
  std::optional<uint64_t> offset;  // explicit offset within buffer
  Index producer = kNone;          // node that writes it (node_output / in-place writes)
  // Persistent tensors of a meta backend: how its members hold it (the meta backend's
  // get_split_state): kMirrored, or the axis (0-3) cut into equal slices, one per member.
  int split = kNotSplit;
  static constexpr int kNotSplit = -1;
  static constexpr int kMirrored = 10;  // GGML_BACKEND_SPLIT_AXIS_MIRRORED
};

// How a node's op sees one of its sources: ggml views (no memory of their own), in order.
struct ViewStep {
  enum class Kind : uint8_t { reshape, permute, transpose };
  Kind kind = Kind::reshape;
  std::vector<int64_t> dims;  // reshape: the new shape; permute: the axes (4 entries)
};

struct Node {
  std::string name;
  std::string op;
  // Scenarios with shapes: per source, the views the op reads it through (empty: none), and
  // the op's numeric parameters ("eps", "scale", "n_dims", "mode", "freq_base").
  std::vector<std::vector<ViewStep>> source_views;
  std::map<std::string, double> params;
  Index backend = kNone;
  std::vector<Index> sources;  // tensors
  Index output = kNone;        // tensor written (its own, or a persistent one for in-place writes)
  bool writes_persistent = false;
  bool inplace = false;  // may take over its first source's region if that source dies here
  // MUL_MAT_ID: sources = {expert weights, activations, ids}; experts used per ubatch.
  int n_expert = 0;
  std::vector<std::vector<int>> experts_used;  // cycled by evaluation index
  bool is_mul_mat_id() const { return op == "mul_mat_id"; }
};

// Splits given directly (as a GGML_SCHED_DEBUG dump shows them): node ranges and input order.
struct GivenSplit {
  Index backend = kNone;
  Index first_node = 0;
  Index end_node = 0;                        // exclusive
  std::optional<std::vector<Index>> inputs;  // source tensors, in the dump's order
};

struct SchedulerConfig {
  bool pipeline_parallel = false;  // llama.cpp's conditions hold (multi-GPU, full offload, ...)
  int max_copies = 4;              // GGML_SCHED_MAX_COPIES
  // Copy slots without pipeline parallelism (llama#27311's shared input ring gives n_copies > 1
  // with parallel = false); 0: one slot, as every ggml tree of the bundle has.
  int copy_slots = 0;
};

struct OutputRead {
  Index tensor = kNone;  // graph output read back after every ubatch that has outputs
  Index buffer = kNone;  // host buffer receiving the rows
  enum class When { all, last, none } ubatches = When::all;
  std::vector<int> batches;  // the batches that request it; empty: every batch
};

// When the application synchronizes after a decode (llama_get_logits, llama_synchronize):
// after every batch, only after a batch that requested outputs (llama-server: prompt chunks
// without outputs return with the graph in flight), or never.
enum class SyncAfterBatch { always, with_outputs, never };

struct EvalCallback {
  bool all_nodes = false;
  std::vector<Index> nodes;  // nodes the callback asks for (ask=true)
};

// llama.cpp's parallel sequences (llama-server -np N) over the KV cache: the KV tensors (the
// persistent tensors nodes write) hold one range of cells per sequence, and an evaluation writes
// the cells of its own sequences only. With a unified cache (one stream, split_simple) attention
// reads every sequence's cells, masked; with a stream per sequence (split_equal) it reads the
// streams from its lowest sequence to its highest.
struct SequenceConfig {
  int count = 1;  // n_seq_max; 1: the KV cache is one whole
  bool unified_kv = true;
  std::vector<std::vector<int>> per_ubatch;  // sequences of each evaluation, cycled; empty: all
};

struct DriverConfig {
  std::vector<int> ubatches_per_batch{1};  // one entry per batch (decode call)
  bool graph_reuse = false;                // llama.cpp would reuse the previous graph when allowed
  SyncAfterBatch sync_after_batch = SyncAfterBatch::always;
  std::vector<OutputRead> outputs;
  std::optional<EvalCallback> eval_callback;
  std::vector<int> realloc_at;           // evaluations whose alloc_splits must re-reserve
  std::vector<int> sync_before_compute;  // evaluations with a user sched_synchronize after alloc
  // Evaluations whose graph llama.cpp cannot reuse (can_reuse false: the ubatch shape or the KV
  // window changed); a change in whether the ubatch has outputs is derived, not listed.
  std::vector<int> rebuild_at;
  SequenceConfig sequences;
};

// A bound on a count of host-blocking synchronizations: at most, or exactly, `value`.
struct SyncBound {
  enum class Kind : uint8_t { at_most, exactly };
  Kind kind = Kind::at_most;
  int value = 0;
  bool admits(int count) const { return kind == Kind::exactly ? count == value : count <= value; }
  bool operator==(const SyncBound&) const = default;
};

// Host-blocking synchronizations (synchronize, event_synchronize; not the queue-side
// event_wait, as `schedcheck advise` counts them) that a policy's run may issue.
struct SyncExpectation {
  std::optional<SyncBound> per_evaluation;  // in each evaluation (ubatch) of the run
  std::optional<SyncBound> total;           // in the whole run
  struct Step {
    int step = 0;  // index into Scenario::program
    SyncBound bound;
    bool operator==(const Step&) const = default;
  };
  std::vector<Step> steps;  // in named steps of a program
  bool empty() const { return !per_evaluation && !total && steps.empty(); }
};

// What a corpus entry expects of one policy.
struct Expectation {
  std::string policy;
  Verdict verdict;
  std::vector<Mechanism> mechanisms;  // each must appear among the findings
  SyncExpectation host_syncs;
};

struct Scenario {
  std::string file;  // where it was loaded from (for messages and repro commands)
  std::string name;
  std::string description;
  std::vector<Backend> backends;
  std::vector<Buffer> buffers;
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;
  std::optional<std::vector<GivenSplit>> given_splits;
  SchedulerConfig scheduler;
  DriverConfig driver;
  // A program of scheduler API calls instead of the driver's decode loop (empty: the loop).
  std::vector<ProgramStep> program;
  std::vector<Policy> custom_policies;
  std::vector<Expectation> expectations;

  Index cpu_backend() const;  // the last backend (asserted CPU by validation)
  Index find_tensor(const std::string& name) const;
  Index find_backend(const std::string& name) const;
  Index find_buffer(const std::string& name) const;
  Index find_node(const std::string& name) const;
  int total_evaluations() const;  // of the decode loop, or of the program
  // Whether the scenario gives shapes (then every tensor has one) and is computed with its ops.
  bool has_shapes() const { return !tensors.empty() && !tensors.front().shape.empty(); }
  // Whether a backend of kind meta is among the backends (docs/meta-backend.md).
  bool has_meta_backend() const;
};

// Building scenarios in code (generators, tests): a persistent tensor appended at the end of
// `buffer` (which grows), and a node producing a tensor of its own name. Both return the tensor.
Index add_persistent_tensor(Scenario& s, const std::string& name, Index buffer, uint64_t size);
Index add_user_input(Scenario& s, const std::string& name, uint64_t size);
Index add_node(Scenario& s, const std::string& name, const std::string& op, Index backend,
               std::vector<Index> sources, uint64_t size, uint8_t flags = 0);

// Whether a persistent tensor holds its value before the run: not one in a buffer that a program
// allocates in another's released memory (its values come from upload steps).
bool initialized_before_run(const Scenario& s, Index tensor);

// Whether a real ggml tree of the bundle can run the scenario: no program step prepare_inputs and
// no copy slots without pipeline parallelism (both llama#27311, in no tree). Empty: it can; else
// the reason.
std::string not_in_ggml_trees(const Scenario& s);
// Whether the model (not a real tree) can run the scenario: empty, or the reason. The meta
// backend is ggml's code, run only through a real tree that has it.
std::string not_in_model(const Scenario& s);

// Capabilities of one backend under a policy profile, overrides applied.
Capabilities backend_capabilities(const Scenario& s, Index backend, const VersionProfile& profile);

// Does backend b read pinned host buffers in place under `profile`: an integrated GPU whose
// ggml accepts the pinned host buffer type (Capabilities::integrated_reads_pinned_host)?
bool reads_pinned_host_in_place(const Scenario& s, Index backend, const VersionProfile& profile);
// Per backend, reads_pinned_host_in_place.
std::vector<bool> in_place_readers(const Scenario& s, const VersionProfile& profile);

// Can backend b use tensors in buffer buf without a copy (spec §3.5 pass 5:
// ggml_backend_sched_buffer_supported)? `in_place` is in_place_readers' entry for b.
bool backend_can_use_buffer(const Scenario& s, Index backend, Index buffer, bool in_place);

// The backend a tensor is assigned to (S(i) in spec §2): producer's backend, the owner of a
// device buffer, or the CPU for host-resident leaves and user inputs.
Index tensor_backend(const Scenario& s, Index tensor);

}  // namespace schedcheck
