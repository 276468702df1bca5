// The CPU reference: the bytes every logical value must have, computed from the sequential
// semantics of the graph (each node applied to the values its sources must have), never from
// what a run actually did. The executor reports every compute it is asked to run, so the
// reference knows each produced value's inputs.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "executor/operation.hpp"
#include "scenario/scenario.hpp"

namespace schedcheck {

// One source range of a node: the value it must read, and where in that value.
struct NodeSource {
  LogicalValue value;
  uint64_t offset = 0;  // within the logical tensor
  uint64_t size = 0;
};

// The node inputs grouped from a compute operation: one entry per write.
struct NodeComputation {
  LogicalValue produced;
  uint64_t size = 0;
  std::vector<NodeSource> sources;
};
std::vector<NodeComputation> node_computations(const Operation& compute);

// The digest over source bytes that a node's output depends on.
uint32_t digest_of(const std::vector<std::vector<uint8_t>>& source_bytes,
                   const std::vector<NodeSource>& sources);

class ReferenceValues {
 public:
  explicit ReferenceValues(const Scenario& s) : scenario_(s) {}

  // Records how the values a compute operation produces are defined.
  void note_compute(const Operation& compute);
  // Whether compute defines a value that is already defined (the bytes of that value change).
  bool redefines(const Operation& compute) const;
  // The bytes [offset, offset + size) of a logical value.
  std::vector<uint8_t> bytes(const LogicalValue& v, uint64_t offset, uint64_t size);

 private:
  const std::vector<uint8_t>& whole(const LogicalValue& v, uint64_t size);

  const Scenario& scenario_;
  std::map<std::pair<int, int>, NodeComputation> defined_;  // (tensor, eval) -> how
  std::map<std::pair<int, int>, std::vector<uint8_t>> memo_;
};

}  // namespace schedcheck
