// How a finding happened (the hazards of docs/ggml-sched-semantics §8 and the stale reads), as
// data. The names "H1".."H5", "stale-slot", ... are written by reports and file names and read
// by the scenario loader ("expect" mechanisms), nowhere else.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace schedcheck {

// In the order of the names (reports list mechanisms sorted this way).
enum class Mechanism : uint8_t {
  H1,               // the source queue's copy overwrites a copy slot the destination still reads
  H2,               // the source of an asynchronous host->device copy rewritten before the copy
  H3,               // a copy reads its source before the producing queue wrote it
  H4,               // the host reads asynchronously copied outputs before synchronizing
  H5,               // a GPU kernel reads host memory in place while the host rewrites it
  M1,               // a meta backend's AllReduce copies into a buffer a device still reads
  other,            // unordered conflicting accesses of no known pattern
  stale,            // ordered, but the read sees another evaluation's value
  stale_host_read,  // the host reads data this evaluation has not yet produced or copied
  stale_slot,       // the graph reads copy-slot bytes this evaluation did not fill
  uninitialized,    // a read of memory nothing wrote before it
};

std::string_view to_string(Mechanism m);
// The inverse of to_string; nullopt for any other text.
std::optional<Mechanism> parse_mechanism(std::string_view text);
// "H1, H2, H3, H4, H5, other, stale-slot, ..." for messages.
std::string mechanism_names();
std::ostream& operator<<(std::ostream& out, Mechanism m);  // test failure messages
// No implicit JSON form (nlohmann would write the number): writers use to_string.
template <typename BasicJson>
void to_json(BasicJson& j, Mechanism m) = delete;

}  // namespace schedcheck
