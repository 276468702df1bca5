// RapidCheck generators of scenario specs: the realistic shapes of spec §3.6 (full offload,
// layer split, partial offload, ...) and free-form mixes, built from combinators so that
// shrinking comes for free.
#pragma once

#include <rapidcheck.h>

#include "properties/scenario_spec.hpp"

namespace schedcheck {

rc::Gen<ScenarioSpec> gen_scenario_spec();  // any shape
// A shape of shape_names() by name, or kTensorParallelShape; any other name gives the free-form
// mix.
rc::Gen<ScenarioSpec> gen_shape(const std::string& shape);
// The shapes the model runs (gen_scenario_spec mixes them).
const std::vector<std::string>& shape_names();

}  // namespace schedcheck
