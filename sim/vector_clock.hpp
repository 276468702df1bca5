// A vector clock over the agents of one run (host, queues, hidden streams): entry x is the
// latest epoch of agent x known to happen before the owner's current point.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace schedcheck {

class VectorClock {
 public:
  explicit VectorClock(std::size_t agents = 0) : clock_(agents, 0) {}
  uint32_t operator[](std::size_t agent) const { return clock_[agent]; }
  uint32_t tick(std::size_t agent) { return ++clock_[agent]; }
  // Joins other into this; returns true if any entry grew.
  bool join(const VectorClock& other) {
    bool grew = false;
    for (std::size_t i = 0; i < clock_.size(); ++i)
      if (other.clock_[i] > clock_[i]) {
        clock_[i] = other.clock_[i];
        grew = true;
      }
    return grew;
  }
  // Does an access of `agent` at `epoch` happen before this clock's owner?
  bool knows(std::size_t agent, uint32_t epoch) const { return epoch <= clock_[agent]; }
  std::size_t size() const { return clock_.size(); }
  const std::vector<uint32_t>& entries() const { return clock_; }

 private:
  std::vector<uint32_t> clock_;
};

}  // namespace schedcheck
