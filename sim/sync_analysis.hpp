// Required-sync analysis: for each synchronization a run issues (synchronize, event_synchronize,
// event_wait), whether removing it alone creates a race or stale read (necessary) or not
// (redundant), and a minimal set of them with which the run stays as clean as it was.
#pragma once

#include <string>
#include <vector>

#include "sim/replay.hpp"

namespace schedcheck {

struct SyncVerdict {
  HostCall call;           // the synchronization (letter s/e/w, its call site, sync_id)
  bool necessary = false;  // removing it alone adds a finding
  bool host_blocking = false;
  std::string new_finding;  // the first finding its removal adds (kind, mechanism, where)
};

struct SyncAnalysis {
  std::vector<SyncVerdict> syncs;  // in call order
  std::vector<int> minimal_set;    // sync ids kept by the minimal set
  int baseline_findings = 0;
};

// Removes each synchronization alone; then, starting from all of them, drops host-blocking ones
// first, then the others, while no finding is added, giving a set from which no single sync can
// be removed.
SyncAnalysis analyze_syncs(const Scenario& s, const Policy& policy);

// `policy` keeping only the minimal set: named "<policy>-minimal", its skip_syncs are the
// policy's own plus every synchronization the minimal set drops (ascending).
Policy minimal_set_policy(const Policy& policy, const SyncAnalysis& a);

// Whether a synchronization call blocks the host (synchronize, event_synchronize; not the
// queue-side event_wait).
bool blocks_host(const HostCall& sync);

// A numbered synchronization that blocks the host: what advise and host_syncs expectations count.
bool is_host_blocking_sync(const HostCall& call);

// Host-blocking synchronizations among a run's calls (synchronize, event_synchronize; not the
// queue-side event_wait).
int host_blocking_syncs(const std::vector<HostCall>& calls);

}  // namespace schedcheck
