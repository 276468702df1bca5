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
constexpr int64_t kShortSide = 2048;  // 17 GFLOP: a fraction of a millisecond on a GPU
constexpr int64_t kLongSide = 8192;   // 768 MiB of F32 operands
constexpr double kLongRatio = 64;     // (kLongSide / kShortSide)^3: about as many times as long
// A queue takes about a thousand pending launches; past that each launch blocks the host until
// one completes, which ties the host to the held queue. Long holds use few, long products.
constexpr int kMaxLaunches = 64;
}  // namespace

QueueHold::QueueHold(ggml_backend_t backend, const ggml_backend_i& real)
    : backend_(backend), real_(real) {
  if (!real_.synchronize) return;  // computes on the host: hold by sleeping
  short_ = make_product(kShortSide, 0);
  // Made now, before the proxy is installed: an allocation in a run would be taken for the
  // scheduler's compute buffer. Not measured (that would add a wait to every run): scaled.
  long_ = make_product(kLongSide, short_.microseconds * kLongRatio);
}

QueueHold::~QueueHold() {
  free_product(short_);
  free_product(long_);
}

// known: the time one product takes, if known already; else it is measured.
QueueHold::Product QueueHold::make_product(int64_t side, double known) const {
  Product p;
  ggml_init_params params{};
  params.mem_size = ggml_tensor_overhead() * 8 + ggml_graph_overhead();
  params.no_alloc = true;
  p.ctx = ggml_init(params);
  ggml_tensor* a = ggml_new_tensor_2d(p.ctx, GGML_TYPE_F32, side, side);
  ggml_tensor* b = ggml_new_tensor_2d(p.ctx, GGML_TYPE_F32, side, side);
  ggml_tensor* c = ggml_mul_mat(p.ctx, a, b);
  ggml_set_name(c, "schedcheck-hold");
  p.graph = ggml_new_graph(p.ctx);
  ggml_build_forward_expand(p.graph, c);
  p.buffer = ggml_backend_alloc_ctx_tensors(p.ctx, backend_);
  if (!p.buffer) {  // out of device memory: no product of this size
    ggml_free(p.ctx);
    return Product{};
  }
  if (known > 0) {
    p.microseconds = known;
    return p;
  }
  // Calibrate: how long one product keeps the queue busy.
  for (int i = 0; i < 2; ++i) real_.graph_compute(backend_, p.graph);
  real_.synchronize(backend_);
  const auto start = std::chrono::steady_clock::now();
  constexpr int runs = 10;
  for (int i = 0; i < runs; ++i) real_.graph_compute(backend_, p.graph);
  real_.synchronize(backend_);
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  p.microseconds = us / runs > 1 ? us / runs : 1;
  return p;
}

void QueueHold::free_product(Product& p) const {
  if (p.buffer) ggml_backend_buffer_free(p.buffer);
  if (p.ctx) ggml_free(p.ctx);
  p = Product{};
}

void QueueHold::hold(int microseconds) {
  if (microseconds <= 0) return;
  if (!short_.graph) {  // no queue of its own, or no device memory for a product
    std::this_thread::sleep_for(std::chrono::microseconds(microseconds));
    return;
  }
  const Product& p =
      microseconds / short_.microseconds > kMaxLaunches && long_.graph ? long_ : short_;
  const int products = static_cast<int>(microseconds / p.microseconds) + 1;
  for (int i = 0; i < products; ++i) real_.graph_compute(backend_, p.graph);
}

}  // namespace schedcheck::bridge
