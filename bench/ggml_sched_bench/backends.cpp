#include "backends.hpp"

#include <cstdlib>
#include <cstring>

#include "errors.hpp"
#include "ggml-cpu.h"

namespace gsb {

ggml_backend_t new_cpu_backend(int threads) {
  ggml_backend_t b = ggml_backend_cpu_init();
  if (b == nullptr) throw BenchError("ggml_backend_cpu_init failed");
  ggml_backend_cpu_set_n_threads(b, threads);
  return b;
}

Backends::Backends(DeviceMode mode, int threads) : threads_(threads) {
  std::vector<ggml_backend_dev_t> cuda_devices;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    if (ggml_backend_dev_type(dev) != GGML_BACKEND_DEVICE_TYPE_GPU) continue;
    if (std::strcmp(ggml_backend_reg_name(ggml_backend_dev_backend_reg(dev)), "CUDA") != 0)
      continue;
    cuda_devices.push_back(dev);
  }
  if (mode == DeviceMode::cuda && cuda_devices.empty())
    throw DeviceError(
        "--devices cuda: ggml has no CUDA device (ggml built without GGML_CUDA, or no GPU "
        "visible)");
  cuda_ = mode != DeviceMode::cpu && !cuda_devices.empty();
  if (cuda_) {
    for (size_t i = 0; i < cuda_devices.size() && i < 2; ++i) {
      ggml_backend_t b = ggml_backend_dev_init(cuda_devices[i], nullptr);
      if (b == nullptr)
        throw BenchError(std::string("cannot start ") + ggml_backend_dev_name(cuda_devices[i]));
      gpu_.push_back(b);
      gpu_buft_.push_back(ggml_backend_dev_buffer_type(cuda_devices[i]));
    }
    host_buft_ = ggml_backend_dev_host_buffer_type(cuda_devices[0]);
    if (host_buft_ == nullptr) host_buft_ = ggml_backend_cpu_buffer_type();
  } else {
    why_stand_ins_ = mode == DeviceMode::cpu ? "--devices cpu"
                                             : "ggml has no CUDA device (built without "
                                               "GGML_CUDA, or no GPU visible)";
    for (int i = 0; i < 2; ++i) {
      gpu_.push_back(new_cpu_backend(threads));
      gpu_buft_.push_back(ggml_backend_cpu_buffer_type());
    }
    host_buft_ = ggml_backend_cpu_buffer_type();
  }
  cpu_ = new_cpu_backend(threads);
}

Backends::~Backends() {
  for (ggml_backend_t b : gpu_) ggml_backend_free(b);
  if (cpu_ != nullptr) ggml_backend_free(cpu_);
}

std::string Backends::gpu_name(int i) const {
  if (cuda_) return ggml_backend_name(gpu(i));
  return "CUDA" + std::to_string(i) + "(CPU stand-in)";
}

std::string Backends::describe() const {
  std::string s;
  if (cuda_) {
    s = std::to_string(gpu_count()) + " CUDA device(s):";
    for (int i = 0; i < gpu_count(); ++i)
      s += std::string(" ") + ggml_backend_name(gpu(i)) + " (" +
           ggml_backend_dev_description(ggml_backend_get_device(gpu(i))) + ")";
    const char* virt = std::getenv("GGML_CUDA_DEVICES");
    if (virt != nullptr) s += "; GGML_CUDA_DEVICES=" + std::string(virt);
  } else {
    s = "no CUDA: the GPUs are CPU backends standing in (" + why_stand_ins_ + ")";
  }
  s += "; CPU backend with " + std::to_string(threads_) + " threads, its buffer type " +
       ggml_backend_buft_name(host_buft_);
  return s;
}

}  // namespace gsb
