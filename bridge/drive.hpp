// Drives a prepared run through the decode loop under the scheduler its policy names: the
// model of ggml, or a real ggml tree's scheduler (bridge/). Used by every executor.
#pragma once

#include "driver/decode_driver.hpp"

namespace schedcheck {

DriverStats drive(PreparedRun& run, BackendApi& api);

}  // namespace schedcheck
