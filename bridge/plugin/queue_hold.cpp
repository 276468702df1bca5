// Holding a real backend's queue back: work enqueued on it through the backend itself (a
// matrix product into a scratch buffer, repeated), so that the operation enqueued next starts
// late while the host goes on. A backend without a queue of its own (ggml-cpu computes on the
// calling thread) is held by sleeping the host instead.
#include <chrono>
#include <thread>

#include "bridge/plugin/proxy.hpp"
#include "ggml-alloc.h"

namespace schedcheck::bridge {
namespace {
constexpr int64_t kSide = 2048;  // one product: 17 GFLOP, a fraction of a millisecond on a GPU
}

QueueHold::QueueHold(ggml_backend_t backend, const ggml_backend_i& real)
    : backend_(backend), real_(real) {
  if (!real_.synchronize) return;  // computes on the host: hold by sleeping
  ggml_init_params p{};
  p.mem_size = ggml_tensor_overhead() * 8 + ggml_graph_overhead();
  p.no_alloc = true;
  ctx_ = ggml_init(p);
  ggml_tensor* a = ggml_new_tensor_2d(ctx_, GGML_TYPE_F32, kSide, kSide);
  ggml_tensor* b = ggml_new_tensor_2d(ctx_, GGML_TYPE_F32, kSide, kSide);
  ggml_tensor* c = ggml_mul_mat(ctx_, a, b);
  ggml_set_name(c, "schedcheck-hold");
  graph_ = ggml_new_graph(ctx_);
  ggml_build_forward_expand(graph_, c);
  buffer_ = ggml_backend_alloc_ctx_tensors(ctx_, backend_);
  // Calibrate: how long one product keeps the queue busy.
  for (int i = 0; i < 3; ++i) real_.graph_compute(backend_, graph_);
  real_.synchronize(backend_);
  const auto start = std::chrono::steady_clock::now();
  constexpr int kRuns = 10;
  for (int i = 0; i < kRuns; ++i) real_.graph_compute(backend_, graph_);
  real_.synchronize(backend_);
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  microseconds_per_product_ = us / kRuns > 1 ? us / kRuns : 1;
}

QueueHold::~QueueHold() {
  if (buffer_) ggml_backend_buffer_free(buffer_);
  if (ctx_) ggml_free(ctx_);
}

void QueueHold::hold(int microseconds) {
  if (microseconds <= 0) return;
  if (!graph_) {
    std::this_thread::sleep_for(std::chrono::microseconds(microseconds));
    return;
  }
  const int products = static_cast<int>(microseconds / microseconds_per_product_) + 1;
  for (int i = 0; i < products; ++i) real_.graph_compute(backend_, graph_);
}

}  // namespace schedcheck::bridge
