// RapidCheck generators of scenario specs: the realistic shapes P1..P6 of spec §3.6 and
// free-form mixes, built from combinators so that shrinking comes for free.
#pragma once

#include <rapidcheck.h>

#include "properties/scenario_spec.hpp"

namespace schedcheck {

rc::Gen<ScenarioSpec> gen_scenario_spec();                  // any shape
rc::Gen<ScenarioSpec> gen_shape(const std::string& shape);  // "P1".."P6" or "free"
const std::vector<std::string>& shape_names();

}  // namespace schedcheck
