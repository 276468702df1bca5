// The ggml backend API as the scheduler and llama.cpp call it (DESIGN.md §1): synchronize,
// events, blocking and asynchronous copies, set/get async, graph launch. It decides, from the
// capability table, which primitive each call becomes, and hands the primitives to an
// Executor (sim/ or real/). It also logs the host-call pattern ("sassassasg").
#pragma once

#include <map>

#include <string>
#include <vector>

#include "executor/execution_layout.hpp"
#include "executor/executor.hpp"

namespace schedcheck {

// A range of a view that holds a value of its own: one sequence's cells of a KV cache
// (scenario/kv_sequences.hpp), whose sequences were last written by different evaluations.
struct ViewPart {
  uint64_t offset = 0;  // within the view
  uint64_t size = 0;
  LogicalValue expected;
  int sequence = 0;  // whose cells they are (-1: not a KV cache's; an input written in parts)
};

// The step of the host's write into the source of an input write (reports name it so).
inline constexpr std::string_view kInputSourceStep = "fill input source";
// The step of a meta backend's AllReduce launches on its devices (bridge/real_scheduler.cpp).
inline constexpr std::string_view kAllReduceStep = "AllReduce";

// A tensor (or one copy slot of it, or a sub-range) at its concrete place.
struct TensorView {
  Region region;
  Index tensor = kNone;  // logical tensor (the source tensor for copy slots)
  Index copy = kNone;    // set for copy slots
  int slot = 0;
  Index backend = kNone;        // backend the tensor is assigned to
  LogicalValue expected;        // value a reader must see
  uint64_t tensor_offset = 0;   // where region starts within the logical tensor
  std::vector<ViewPart> parts;  // empty: the whole view holds `expected`
};

// Bytes [offset, offset + size) of a view, as a view of their own (parts dropped).
TensorView sub_view(const TensorView& v, uint64_t offset, uint64_t size);
// A view as the ranges that each hold one value: its parts, or the view itself.
std::vector<TensorView> value_parts(const TensorView& v);
// Appends the reads of a view to op: one per value part. Returns the index of the first.
int append_reads(Operation& op, const TensorView& v);

// The access of a view by an operation (reads: value expected; writes: value produced).
Access access_of(const TensorView& v, bool is_write, int from_read = -1);

// One host-visible call in compute_splits / the driver, as a pattern letter:
// s sync, a copy, g GPU graph launch, c CPU graph, e event_synchronize, w event_wait,
// r event_record, i set_inputs, o output read enqueue, h host read of outputs.
struct HostCall {
  char letter;
  CallSite site;
  int sync_id = -1;  // synchronize / event_synchronize / event_wait: its number in the run
};

class BackendApi {
 public:
  BackendApi(const Scenario& s, const ExecutionLayout& layout, Executor& exec)
      : scenario_(s), layout_(layout), executor_(exec) {}

  void synchronize(Index backend, const CallSite& site);
  void event_record(EventId event, Index backend, const CallSite& site);
  void event_wait(Index backend, EventId event, const CallSite& site);
  void event_synchronize(EventId event, const CallSite& site);

  // Blocking ggml_backend_tensor_copy: complete on return.
  void tensor_copy(const TensorView& src, const TensorView& dst, const CallSite& site);
  // The destination backend's cpy_tensor_async member; false = declined (nothing issued).
  bool cpy_tensor_async(Index bs, Index bd, const TensorView& src, const TensorView& dst,
                        const CallSite& site);
  bool has_cpy_tensor_async(Index backend) const { return layout_.caps[backend].cpy_async_member; }
  // Whether cpy_tensor_async takes a copy from device memory of bs to bd, and whether it then
  // runs the copy on bs's queue (CUDA, HIP, MUSA, Metal), where bd's queue does not order it.
  bool accepts_device_copy(Index bs, Index bd, const TensorView& src, const TensorView& dst) const;
  bool device_copy_on_source_queue(Index bs, Index bd, const TensorView& src,
                                   const TensorView& dst) const;
  // A backend without a queue computes on the host (CPU, BLAS): graph_compute returns done.
  bool runs_on_host(Index backend) const { return !layout_.caps[backend].async_queue; }
  // CUDA-family backends copy on their compute stream; Vulkan may use a transfer queue.
  bool copies_on_compute_queue(Index backend) const {
    return layout_.transfer_queue_of[backend] < 0;
  }
  // ggml_backend_buffer_is_host.
  bool is_host_memory(const Region& r) const { return is_host(r); }
  // Generic ggml_backend_tensor_copy_async: the member, else sync both + blocking copy.
  void tensor_copy_async(Index bs, Index bd, const TensorView& src, const TensorView& dst,
                         const CallSite& site);
  void set_tensor_async(Index backend, const TensorView& host_src, const TensorView& dst,
                        const CallSite& site);
  void get_tensor_async(Index backend, const TensorView& src, const TensorView& host_dst,
                        const CallSite& site);
  // Blocking ggml_backend_tensor_get into host memory the caller owns (only the read matters).
  void tensor_get(const TensorView& src, const CallSite& site);
  // Blocking ggml_backend_tensor_set from host memory the caller owns (only the write matters).
  void tensor_set(const TensorView& dst, const CallSite& site);
  // ggml_backend_buffer_free of a device buffer: where the owner's free waits for the device
  // (Capabilities::free_waits_for_device), the host waits for every queue and stream on it;
  // elsewhere the memory is released at once.
  void buffer_free(Index buffer, const CallSite& site);
  void graph_compute_async(Index backend, Operation compute);

  // A program's write of a user input: ggml_backend_tensor_set from the caller's own memory
  // (source kNone), or from host buffer `source` at source_offset, which the host fills first;
  // async: ggml_backend_tensor_set_async on the backend of the input's buffer, which may read
  // the source after it returns (pinned or pageable: Capabilities::set_async_*).
  void write_input(const TensorView& dst, Index source, uint64_t source_offset, bool async,
                   const CallSite& site);
  // The host fills bytes of host buffer `source` at source_offset with what `dst` is to hold
  // (its call site's step: kInputSourceStep); returns them as a view.
  TensorView fill_input_source(const TensorView& dst, Index source, uint64_t source_offset,
                               const CallSite& site);

  // Host program accesses (llama.cpp set_inputs, reading logits).
  void host_write(const TensorView& dst, const CallSite& site);
  void host_read(const TensorView& src, const CallSite& site);

  // Synchronizations (synchronize of an async backend, event_synchronize, event_wait) are
  // numbered in call order; the ones listed here are skipped (required-sync analysis). The
  // host program does not depend on timing, so the numbering is the same in every run.
  // Adds to the ids suppressed so far (the policy's own skip_syncs, the analysis' removals).
  void suppress_syncs(const std::vector<int>& ids) {
    suppressed_.insert(suppressed_.end(), ids.begin(), ids.end());
  }
  // How many synchronizations the run has numbered so far (suppressed ones included).
  int syncs_numbered() const { return sync_count_; }

  // The value the host saw in its most recent read (drives the MoE expert selection).
  LogicalValue observed_value() const { return executor_.observed_value(); }

  const std::vector<HostCall>& calls() const { return calls_; }

 private:
  Operation copy_op(const TensorView& src, const TensorView& dst, const CallSite& site) const;
  void blocking(Index device_backend, const Operation& op, char letter);
  void enqueue_host_transfer(Index backend, AgentId queue, HostTransfer timing, Operation op,
                             const CallSite& site);
  // Work for backend b's compute queue. A backend whose event_wait drops recorded work (Vulkan
  // before fda28915) keeps it in its command context until a submit point: synchronize,
  // event_record, a graph launch, a blocking transfer.
  void enqueue_compute_queue(Index b, const Operation& op);
  void submit_recorded(Index b);
  // Appends op to b's compute queue now, as b's command (see note_command).
  void enqueue_own(Index b, const Operation& op);
  // On a queue shared with another backend (Metal), marks b's latest command for synchronize.
  void note_command(Index b, const CallSite& site);
  // The host waits for b's compute queue (its own commands on a shared one) and transfer queue.
  void wait_own_queues(Index b, const CallSite& site);
  // Host->device uploads (set_tensor_async, cpy_tensor_async from host) run on the transfer
  // queue where the backend has one (Vulkan's async_use_transfer_queue), else the compute queue;
  // with a compute-queue copy limit, uploads up to it stay on the compute queue.
  AgentId upload_queue(Index b, uint64_t bytes) const {
    const uint64_t limit = scenario_.backends[b].compute_queue_copy_max;
    const bool transfer = layout_.transfer_queue_of[b] >= 0 && (limit == 0 || bytes > limit);
    return transfer ? layout_.transfer_queue_of[b] : layout_.queue_of[b];
  }
  void log(char letter, const CallSite& site, int sync_id = -1) {
    calls_.push_back({letter, site, sync_id});
  }
  // Numbers the next synchronization; false if it is suppressed (then nothing is issued).
  bool next_sync(int& id);
  bool is_host(const Region& r) const { return is_host_buffer(scenario_.buffers[r.buffer].kind); }
  // Pinned for backend b's device: Vulkan_Host memory is registered with Vulkan device 0 only.
  bool is_pinned_for(const Region& r, Index b) const {
    return scenario_.buffers[r.buffer].kind == BufferKind::pinned_host &&
           (!layout_.caps[b].pinned_for_device0_only || scenario_.backends[b].device == 0);
  }

  const Scenario& scenario_;
  const ExecutionLayout& layout_;
  Executor& executor_;
  std::vector<HostCall> calls_;
  std::vector<int> suppressed_;
  int sync_count_ = 0;
  std::map<Index, std::vector<Operation>> recorded_;  // per backend: recorded, not submitted
};

// The pattern string of a call list, e.g. "ssassasg"; skip lists letters to leave out.
std::string call_pattern(const std::vector<HostCall>& calls, std::string_view skip = "");

}  // namespace schedcheck
