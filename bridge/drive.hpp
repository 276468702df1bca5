// Drives a prepared run through its driver (the decode loop, or its program's steps) under the scheduler its policy names: the
// model of ggml, or a real ggml tree's scheduler (bridge/). Used by every executor.
#pragma once

#include "driver/program_driver.hpp"

namespace schedcheck {

struct RealRunHooks;
// hooks: for a tree over ggml's own backends (real/recorded_run.hpp); ignored by the model.
DriverStats drive(PreparedRun& run, BackendApi& api, RealRunHooks* hooks = nullptr);

}  // namespace schedcheck
