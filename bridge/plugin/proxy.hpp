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
  ggml_backend_t backend_;
  ggml_backend_i real_;
  ggml_context* ctx_ = nullptr;
  ggml_cgraph* graph_ = nullptr;
  ggml_backend_buffer_t buffer_ = nullptr;
  double microseconds_per_product_ = 1;
};

}  // namespace schedcheck::bridge
