// What a finding's report says about synchronization, as data: the ordering that was present
// between the two accesses, the happens-before edge that is missing, and the cheapest primitive
// that adds it (a device-side event wait when the second access runs on a queue, a host wait
// only when the host itself must wait).
#pragma once

#include <optional>
#include <string>

#include "sim/finding.hpp"
#include "sim/report_names.hpp"

namespace schedcheck {

class ReportNaming;

struct PresentOrdering {
  enum class Kind : uint8_t {
    ordered_wrong_value,  // stale read: ordered after the write it sees, but the value is wrong
    never_written,        // stale read: nothing wrote the bytes before the read
    unordered,            // race: the second agent does not know the first access
  };
  Kind kind = Kind::unordered;
  // Races: the second agent knew the first up to known_epoch, the first access is at
  // needed_epoch.
  std::string first_agent;
  std::string second_agent;
  uint32_t known_epoch = 0;
  uint32_t needed_epoch = 0;
  std::optional<TraceStep> last_sync;  // what last told the second agent; none: no path at all
};

// A race's missing happens-before edge, between two trace entries.
struct MissingEdge {
  struct End {
    std::string agent;
    int trace_index = -1;
    Call call = Call::synchronize;
  };
  End from;
  End to;
};

enum class FixPrimitive : uint8_t {
  fill_read_slot,      // stale copy-slot read: copy exactly the bytes and slot the graph reads
  read_current_value,  // stale read: read where this evaluation's value is, or copy it first
  host_event_wait,     // event_record after the first access, event_synchronize before the second
  device_event_wait,   // event_record after the first access, event_wait before the second
  issue_order,         // issue the second access only after the first
};

struct Fix {
  FixPrimitive primitive = FixPrimitive::issue_order;
  bool blocks_host = false;
  std::string record_on;                // event waits: the backend (or agent) of the first access
  std::string wait_on;                  // device_event_wait: the backend of the second access
  bool wait_on_transfer_queue = false;  // device_event_wait: its transfer queue waits
  // Races: the accesses the event goes after and before, or the order to issue them in.
  TraceStep after;
  TraceStep before;
};

struct FixAdvice {
  PresentOrdering ordering_present;
  std::optional<MissingEdge> missing_edge;  // none for a stale read: no race, a wrong target
  Fix cheapest_fix;
};

FixAdvice advise_fix(const ReportNaming& naming, const Finding& finding);

}  // namespace schedcheck
