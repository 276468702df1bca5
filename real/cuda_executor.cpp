// The CUDA executor (host code, C++20): the Executor primitives on a real GPU. One non-blocking
// stream per backend queue (a backend's device index on GPU index % count, or all on GPU 0 as
// virtual devices; peer copies between distinct GPUs with or without peer access),
// the per-thread default stream for blocking copies, CUDA events, buffers laid out exactly as the
// allocator placed the tensors (pinned cudaMallocHost, pageable malloc, cudaMalloc), CPU splits on
// the host.
#include <cuda_runtime.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>
#include <utility>

#include "bridge/drive.hpp"
#include "driver/decode_driver.hpp"
#include "executor/backend_api.hpp"
#include "model/prepared_run.hpp"
#include "real/call_timing.hpp"
#include "real/cuda_devices.hpp"
#include "real/cuda_kernels.hpp"
#include "real/delay_plan.hpp"
#include "real/real_run.hpp"
#include "real/reference_values.hpp"
#include "real/value_hash.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck {
namespace {

class CudaExecutor : public Executor {
 public:
  CudaExecutor(const PreparedRun& run, const DelayPlan& plan, const GpuPlacement& placement,
               bool time_calls, ReferenceValues& reference, RealRunResult& result)
      : run_(run),
        scenario_(run.scenario),
        layout_(run.layout),
        reference_(reference),
        result_(result) {
    for (const Delay& d : plan.delays) delays_.emplace(d.call, d);
    check(cudaGetDeviceCount(&gpus_), "cudaGetDeviceCount");
    if (!placement.physical) gpus_ = 1;
    for (const Backend& b : scenario_.backends)
      result_.backend_gpu.push_back(b.device < 0 ? -1 : physical(b.device));
    set_peer_access(placement.peer_access);
    create_streams();
    create_buffers();
    create_events();
    if (time_calls) timer_.emplace(used_gpus());
  }

  ~CudaExecutor() override {
    // Best effort: a failed run must still release what it took.
    for (auto& [agent, stream] : streams_) {
      cudaStreamSynchronize(stream);
      cudaStreamDestroy(stream);
    }
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
    for (std::size_t b = 0; b < memory_.size(); ++b) release(b);
    for (void* p : staging_) cudaFreeHost(p);
  }

  void host_op(const Operation& op) override {
    begin_call(kHostAgent, op.site);
    const HostSpan span(timer(), call_ - 1);
    if (op.kind == OpKind::compute) return compute_on_host(op);
    if (op.kind == OpKind::copy) {
      // A host-performed copy (host memcpy; Metal's shared memory in the model) may touch
      // device memory here, which only the CUDA runtime can reach.
      for_each_copy_part(op, [&](const Access& src, const Access& dst) {
        copy_to_completion(pointer(dst.region), pointer(src.region), src.region.size,
                           "host-side copy", &op.site);
      });
      return;
    }
    if (op.kind == OpKind::host_write) return write_values(op, false);
    read_back(op, "host read");
  }

  // The bytes of each written value: a host memcpy, or (ggml_backend_tensor_set into device
  // memory) a copy on cudaStreamPerThread that the host waits for, as ggml-cuda's set_tensor.
  void write_values(const Operation& op, bool device) {
    for (const Access& a : op.accesses) {
      const auto bytes = reference_.bytes(a.value, a.tensor_offset, a.region.size);
      if (device)
        copy_to_completion(pointer(a.region), bytes.data(), bytes.size(), "blocking write",
                           &op.site);
      else
        std::memcpy(pointer(a.region), bytes.data(), bytes.size());
    }
  }

  // A blocking read into host memory: every read access, compared after the run.
  void read_back(const Operation& op, const char* what) {
    for (const Access& a : op.accesses) {
      std::vector<uint8_t> got(a.region.size);
      copy_to_completion(got.data(), pointer(a.region), got.size(), what, &op.site);
      defer_check(op, a, std::move(got));
    }
  }

  void blocking_op(AgentId stream, const Operation& op) override {
    begin_call(stream, op.site);
    const HostSpan span(timer(), call_ - 1);  // the host waits for the whole copy
    set_device(layout_.agents[stream].device);
    if (op.kind == OpKind::copy) {
      for_each_copy_part(op, [&](const Access& src, const Access& dst) {
        copy_to_completion(pointer(dst.region), pointer(src.region), src.region.size,
                           "blocking copy", &op.site);
      });
      return;
    }
    if (op.kind == OpKind::host_write) return write_values(op, true);
    read_back(op, "tensor_get");
  }

  void enqueue(AgentId queue, const Operation& op) override {
    begin_call(queue, op.site);
    cudaStream_t stream = on_stream(queue);
    time_on(stream, true, op.site);
    if (op.kind == OpKind::compute) {
      compute_on_stream(stream, op);
    } else {
      for_each_copy_part(
          op, [&](const Access& src, const Access& dst) { enqueue_copy(stream, op, src, dst); });
    }
    time_on(stream, false, op.site);
  }

  void enqueue_copy(cudaStream_t stream, const Operation& op, const Access& src,
                    const Access& dst) {
    const void* from = pointer(src.region);
    if (op.reads_at_call) {
      // The host side is captured during the call (pageable staging, Metal set_async).
      void* staging = nullptr;
      check(cudaMallocHost(&staging, src.region.size), "cudaMallocHost (staging)", op.site);
      staging_.push_back(staging);
      std::memcpy(staging, from, src.region.size);
      from = staging;
    }
    const int src_gpu = buffer_gpu(scenario_, src.region.buffer, result_.backend_gpu);
    const int dst_gpu = buffer_gpu(scenario_, dst.region.buffer, result_.backend_gpu);
    if (src_gpu >= 0 && dst_gpu >= 0 && src_gpu != dst_gpu) {
      // Between two GPUs, as ggml's cpy_tensor_async does it.
      check(
          cudaMemcpyPeerAsync(pointer(dst.region), dst_gpu, from, src_gpu, src.region.size, stream),
          "cudaMemcpyPeerAsync", op.site);
      return;
    }
    check(cudaMemcpyAsync(pointer(dst.region), from, src.region.size, cudaMemcpyDefault, stream),
          "cudaMemcpyAsync", op.site);
  }

  void host_wait_queue(AgentId queue, const CallSite& site) override {
    begin_call(kHostAgent, site);
    const HostSpan span(timer(), call_ - 1);
    check(cudaStreamSynchronize(stream_of(queue)), "cudaStreamSynchronize", site);
  }

  void record_event(EventId event, AgentId queue, const CallSite& site) override {
    begin_call(queue, site);
    time_on(on_stream(queue), true, site);
    check(cudaEventRecord(events_[event], on_stream(queue)), "cudaEventRecord", site);
    time_on(on_stream(queue), false, site);
  }

  void queue_wait_event(AgentId queue, EventId event, const CallSite& site) override {
    begin_call(queue, site);
    // The event may belong to another GPU: a cross-device wait. Its end mark is when it let go.
    time_on(on_stream(queue), true, site);
    check(cudaStreamWaitEvent(on_stream(queue), events_[event], 0), "cudaStreamWaitEvent", site);
    time_on(on_stream(queue), false, site);
  }

  void host_wait_event(EventId event, const CallSite& site) override {
    begin_call(kHostAgent, site);
    const HostSpan span(timer(), call_ - 1);
    check(cudaEventSynchronize(events_[event]), "cudaEventSynchronize", site);
  }

  LogicalValue observed_value() override {
    check_pending_reads();
    return observed_;
  }

  void finish() {
    for (auto& [agent, stream] : streams_)
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (end)");
    result_.calls = call_;
    result_.finish_seconds = since_start();
    if (timer_) result_.call_times = timer_->spans(call_);
    check_pending_reads();
  }

  void initialize(const Region& r, const LogicalValue& v) {
    const auto bytes = reference_.bytes(v, 0, r.size);
    copy_in(r, bytes.data());
  }

 private:
  // A host read whose bytes are compared with the reference later (check_pending_reads).
  struct PendingRead {
    int call;
    Call read;
    Access access;
    std::vector<uint8_t> got;
  };

  void check(cudaError_t e, const char* what, const CallSite* site = nullptr) const {
    if (e == cudaSuccess) return;
    std::string where =
        site ? fmt::format(" during {} (batch {} ubatch {}, call #{})", to_string(site->call),
                           site->batch, site->ubatch, call_ - 1)
             : "";
    throw RealError(fmt::format("{} failed: {} ({}){}", what, cudaGetErrorString(e),
                                cudaGetErrorName(e), where));
  }
  void check(cudaError_t e, const char* what, const CallSite& site) const { check(e, what, &site); }

  CallTimer* timer() { return timer_ ? &*timer_ : nullptr; }
  // The timing mark before (begin) or after the current call's work on its stream.
  void time_on(cudaStream_t stream, bool begin, const CallSite& site) {
    if (!timer_) return;
    check(begin ? timer_->device_begin(call_ - 1, stream, current_gpu_)
                : timer_->device_end(call_ - 1, stream),
          "cudaEventRecord (timing)", site);
  }

  double since_start() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  int physical(int device) const { return device < 0 ? 0 : device % gpus_; }
  void set_device(int device) {
    const int gpu = physical(device);
    if (gpu == current_gpu_) return;
    check(cudaSetDevice(gpu), "cudaSetDevice");
    current_gpu_ = gpu;
  }
  // A queue's stream, with its GPU made current (kernels launch on the current device).
  cudaStream_t on_stream(AgentId queue) {
    set_device(layout_.agents[queue].device);
    return stream_of(queue);
  }

  // The distinct GPUs the backends run on (GPU 0 alone for a scenario without GPU backends).
  std::vector<int> used_gpus() const {
    std::vector<int> used;
    for (int gpu : result_.backend_gpu)
      if (gpu >= 0 && std::find(used.begin(), used.end(), gpu) == used.end()) used.push_back(gpu);
    return used.empty() ? std::vector<int>{0} : used;
  }

  void set_peer_access(bool wanted) {
    result_.peer_access = set_cuda_peer_access(used_gpus(), wanted);
    current_gpu_ = -1;  // it switched devices
  }

  void begin_call(AgentId agent, const CallSite& site) {
    const int call = call_++;
    if (site.eval >= static_cast<int>(result_.eval_start_seconds.size()))
      result_.eval_start_seconds.resize(static_cast<std::size_t>(site.eval) + 1, since_start());
    auto [first, last] = delays_.equal_range(call);
    for (auto it = first; it != last; ++it) {
      const Delay& d = it->second;
      if (d.on_queue && holds_on_queue(layout_.agents[agent].kind)) {
        check(launch_spin(on_stream(agent),
                          static_cast<unsigned long long>(d.microseconds) * 1000ULL),
              "spin kernel launch (delay)", site);
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(d.microseconds));
      }
    }
  }

  void create_streams() {
    for (AgentId a = 0; a < static_cast<AgentId>(layout_.agents.size()); ++a) {
      const Agent& agent = layout_.agents[a];
      if (agent.kind != AgentKind::queue && agent.kind != AgentKind::transfer_queue) continue;
      set_device(agent.device);
      cudaStream_t stream;
      check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
      streams_[a] = stream;
    }
  }
  cudaStream_t stream_of(AgentId a) const { return streams_.at(a); }

  void create_events() {
    for (const Event& e : layout_.events) {
      set_device(scenario_.backends[e.backend].device);
      cudaEvent_t ev;
      check(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "cudaEventCreateWithFlags");
      events_.push_back(ev);
    }
  }

  void create_buffers() {
    memory_.assign(scenario_.buffers.size(), nullptr);
    for (std::size_t b = 0; b < scenario_.buffers.size(); ++b) {
      const Buffer& buf = scenario_.buffers[b];
      const std::size_t size = std::max<uint64_t>(run_.alloc.buffer_size[b], 1);
      if (buf.kind == BufferKind::device) {
        set_device(scenario_.backends[buf.owner].device);
        check(cudaMalloc(&memory_[b], size), "cudaMalloc");
        check(cudaMemset(memory_[b], values::kPoison, size), "cudaMemset (poison)");
      } else if (buf.kind == BufferKind::pinned_host) {
        check(cudaMallocHost(&memory_[b], size), "cudaMallocHost");
        std::memset(memory_[b], values::kPoison, size);
      } else {
        memory_[b] = std::malloc(size);
        if (!memory_[b]) throw RealError("malloc of a pageable buffer failed");
        std::memset(memory_[b], values::kPoison, size);
      }
    }
    // The poisoning memsets run on each GPU's legacy stream, which the non-blocking streams do
    // not wait for: every GPU must be done with them first.
    for (int gpu : used_gpus()) {
      set_device(gpu);
      check(cudaDeviceSynchronize(), "cudaDeviceSynchronize (after poisoning)");
    }
  }

  void release(std::size_t b) {
    if (!memory_[b]) return;
    const BufferKind k = scenario_.buffers[b].kind;
    if (k == BufferKind::device)
      cudaFree(memory_[b]);
    else if (k == BufferKind::pinned_host)
      cudaFreeHost(memory_[b]);
    else
      std::free(memory_[b]);
    memory_[b] = nullptr;
  }

  uint8_t* pointer(const Region& r) const {
    // A real tree's meta backend places bytes itself; its buffers are sized from above.
    const uint64_t size = std::max<uint64_t>(run_.alloc.buffer_size[r.buffer], 1);
    if (r.end() > size)
      throw RealError(fmt::format("bytes [{}, {}) lie past the {} bytes allocated for buffer {}",
                                  r.offset, r.end(), size, scenario_.buffers[r.buffer].name));
    return static_cast<uint8_t*>(memory_[r.buffer]) + r.offset;
  }

  void copy_in(const Region& r, const uint8_t* bytes) {
    copy_to_completion(pointer(r), bytes, r.size, "initial contents");
  }

  // A copy that is complete when the call returns, on the current GPU's per-thread stream (which
  // the backends' non-blocking streams are not ordered with). Plain cudaMemcpy is not enough: it
  // returns before a device-to-device copy, or the DMA of a pageable host-to-device copy, is done,
  // and its legacy stream does not order the backends' streams either (a host-side copy into a
  // GPU on another device was then read stale by the next kernel: agreement case 123).
  void copy_to_completion(void* dst, const void* src, std::size_t size, const char* what,
                          const CallSite* site = nullptr) {
    check(cudaMemcpyAsync(dst, src, size, cudaMemcpyDefault, cudaStreamPerThread),
          fmt::format("cudaMemcpyAsync ({}) on cudaStreamPerThread", what).c_str(), site);
    check(cudaStreamSynchronize(cudaStreamPerThread),
          fmt::format("cudaStreamSynchronize(cudaStreamPerThread) ({})", what).c_str(), site);
  }

  // Reads are compared with the reference after the run (or when the policy asks what a read
  // saw), so that computing reference values does not add to the host time a run measures.
  void note_compute(const Operation& op) {
    if (!pending_reads_.empty() && reference_.redefines(op)) check_pending_reads();
    reference_.note_compute(op);
  }

  void compute_on_host(const Operation& op) {
    note_compute(op);
    const auto nodes = node_computations(op);
    std::size_t w = 0;
    for (const Access& a : op.accesses) {
      if (!a.is_write) continue;
      const NodeComputation& c = nodes[w++];
      std::vector<std::vector<uint8_t>> bytes;
      for (const Access& src : op.accesses)
        if (!src.is_write && src.group == a.group) {
          const uint8_t* p = pointer(src.region);
          bytes.emplace_back(p, p + src.region.size);
        }
      const uint32_t digest = digest_of(bytes, c.sources);
      const uint32_t seed = values::value_seed(a.value.tensor, a.value.eval);
      uint8_t* out = pointer(a.region);
      for (uint64_t i = 0; i < a.region.size; ++i)
        out[i] = values::node_byte(seed, digest, a.tensor_offset + i);
    }
  }

  void compute_on_stream(cudaStream_t stream, const Operation& op) {
    note_compute(op);
    for (const Access& a : op.accesses) {
      if (!a.is_write) continue;
      NodeLaunch launch{};
      for (const Access& src : op.accesses) {
        if (src.is_write || src.group != a.group) continue;
        if (scenario_.buffers[src.region.buffer].kind == BufferKind::pageable_host)
          throw ScenarioError(
              scenario_.file, "",
              "a GPU graph reads pageable host memory directly, which CUDA cannot do");
        if (launch.n_src == kMaxSources)
          throw ScenarioError(scenario_.file, "",
                              fmt::format("a node has more than {} source ranges", kMaxSources));
        launch.src[launch.n_src++] = {pointer(src.region), src.region.size, src.tensor_offset};
      }
      launch.out = pointer(a.region);
      launch.out_size = a.region.size;
      launch.out_position = a.tensor_offset;
      launch.seed = values::value_seed(a.value.tensor, a.value.eval);
      check(launch_node(stream, launch), "node kernel launch", op.site);
    }
  }

  void defer_check(const Operation& op, const Access& a, std::vector<uint8_t> got) {
    pending_reads_.push_back(PendingRead{call_ - 1, op.site.call, a, std::move(got)});
  }

  void check_pending_reads() {
    for (const PendingRead& r : pending_reads_) check_read(r);
    pending_reads_.clear();
  }

  void check_read(const PendingRead& r) {
    const Access& a = r.access;
    const std::vector<uint8_t>& got = r.got;
    ++result_.host_reads_checked;
    const auto expected = reference_.bytes(a.value, a.tensor_offset, a.region.size);
    observed_ = got == expected ? LogicalValue{a.value.tensor, a.value.eval, 0} : decode(a, got);
    if (got == expected) return;
    ValueMismatch m;
    m.call = r.call;
    m.read = std::string(to_string(r.read));
    m.tensor = a.value.tensor;
    m.tensor_name = a.value.tensor == kNone ? "?" : scenario_.tensors[a.value.tensor].name;
    m.eval = a.value.eval;
    for (std::size_t i = 0; i < got.size(); ++i)
      if (got[i] != expected[i]) {
        if (!m.wrong_bytes) {
          m.element = a.tensor_offset + i;
          m.expected = expected[i];
          m.got = got[i];
        }
        ++m.wrong_bytes;
      }
    result_.mismatches.push_back(m);
  }

  // Which earlier evaluation's value wrong bytes are (the MoE path chooses experts from it).
  LogicalValue decode(const Access& a, const std::vector<uint8_t>& got) {
    for (int e = a.value.eval - 1; e >= kInitialEval; --e) {
      LogicalValue v{a.value.tensor, e, 0};
      if (reference_.bytes(v, a.tensor_offset, a.region.size) == got) return v;
    }
    return LogicalValue{};
  }

  const PreparedRun& run_;
  const Scenario& scenario_;
  const ExecutionLayout& layout_;
  ReferenceValues& reference_;
  RealRunResult& result_;
  int gpus_ = 0;
  int current_gpu_ = -1;
  int call_ = 0;
  std::multimap<int, Delay> delays_;
  std::map<AgentId, cudaStream_t> streams_;
  std::vector<cudaEvent_t> events_;
  std::vector<void*> memory_;
  std::vector<void*> staging_;
  std::vector<PendingRead> pending_reads_;
  LogicalValue observed_;
  std::optional<CallTimer> timer_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

RealRunResult run_on_gpu(const Scenario& s, const Policy& policy, const DelayPlan& plan,
                         const GpuPlacement& placement, bool time_calls) {
  refuse_what_the_executor_cannot_run(s);
  const auto start = std::chrono::steady_clock::now();
  PreparedRun run = prepare_run(s, policy);
  ReferenceValues reference(run.scenario);
  RealRunResult result;
  {
    CudaExecutor executor(run, plan, placement, time_calls, reference, result);
    for (Index t = 0; t < static_cast<Index>(run.scenario.tensors.size()); ++t)
      if (run.scenario.tensors[t].role == TensorRole::persistent)
        executor.initialize(run.alloc.tensor_region(t, 0), LogicalValue{t, kInitialEval, 0});
    BackendApi api(run.scenario, run.layout, executor);
    drive(run, api);  // the model, or a real ggml tree's scheduler over the same executor
    executor.finish();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace schedcheck
