// llama.cpp's decode loop (spec §5.2): per ubatch, reuse the graph or reset + allocate
// (rotating the copy index), write user inputs, compute_splits, enqueue output reads; after
// each decode, llama_get_logits synchronizes and the application reads the outputs.
#pragma once

#include "executor/backend_api.hpp"
#include "model/prepared_run.hpp"
#include "driver/driver_stats.hpp"
#include "driver/scheduler_port.hpp"

namespace schedcheck {

// Under schedcheck's model of the scheduler.
DriverStats run_decode(const PreparedRun& run, BackendApi& api);
// Under any scheduler (the model, or a real ggml tree through the bridge).
DriverStats run_decode(const PreparedRun& run, BackendApi& api, SchedulerPort& sched);

}  // namespace schedcheck
