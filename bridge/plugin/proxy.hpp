// Inside a plugin whose devices are ggml's own backends (proxy_devices.cpp): what holds a
// backend's queue back for a targeted delay.
#pragma once

#include "bridge/plugin/plugin.hpp"
#include "ggml-backend-impl.h"

namespace schedcheck::bridge {

class QueueHold {
 public:
  // real: the backend's own members (before the proxy's are put in their place).
  QueueHold(ggml_backend_t backend, const ggml_backend_i& real);
  ~QueueHold();
  QueueHold(const QueueHold&) = delete;
  QueueHold& operator=(const QueueHold&) = delete;
  // Enqueues about this long of work on the backend's queue (or sleeps the host).
  void hold(int microseconds);

 private:
  // A matrix product of side x side on the backend, and how long one keeps its queue busy.
  struct Product {
    ggml_context* ctx = nullptr;
    ggml_cgraph* graph = nullptr;
    ggml_backend_buffer_t buffer = nullptr;
    double microseconds = 1;
  };
  Product make_product(int64_t side, double known_microseconds) const;
  void free_product(Product& p) const;

  ggml_backend_t backend_;
  ggml_backend_i real_;
  Product short_;  // for short holds
  Product long_;   // for long holds (none if the device lacks the memory)
};

}  // namespace schedcheck::bridge
