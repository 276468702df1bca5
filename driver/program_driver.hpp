// A program scenario's steps (scenario/program.hpp) run over the scheduler interface: each step
// is one call of ggml's scheduler API, or the host's own write or read around it. Records which
// backend API calls each step made.
#pragma once

#include "driver/driver_stats.hpp"
#include "driver/scheduler_port.hpp"
#include "executor/backend_api.hpp"
#include "model/prepared_run.hpp"

namespace schedcheck {

DriverStats run_program(const PreparedRun& run, BackendApi& api, SchedulerPort& sched);

// The scenario's driver: its program when it has one, else llama.cpp's decode loop.
DriverStats run_scenario(const PreparedRun& run, BackendApi& api, SchedulerPort& sched);
// The same under schedcheck's model of the scheduler.
DriverStats run_scenario(const PreparedRun& run, BackendApi& api);

}  // namespace schedcheck
