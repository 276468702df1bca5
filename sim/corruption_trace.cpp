#include "sim/corruption_trace.hpp"

#include <map>

namespace schedcheck {
namespace {

// Byte ranges holding corrupted data, per buffer.
class TaintedBytes {
 public:
  bool overlaps(const Region& r) const {
    auto it = ranges_.find(r.buffer);
    if (it == ranges_.end()) return false;
    for (const auto& [begin, end] : it->second)
      if (begin < r.end() && r.offset < end) return true;
    return false;
  }
  void add(const Region& r) {
    remove(r);
    ranges_[r.buffer].emplace(r.offset, r.end());
  }
  // Overwritten with good data.
  void remove(const Region& r) {
    auto it = ranges_.find(r.buffer);
    if (it == ranges_.end()) return;
    std::map<uint64_t, uint64_t> kept;
    for (const auto& [begin, end] : it->second) {
      if (end <= r.offset || begin >= r.end()) {
        kept.emplace(begin, end);
        continue;
      }
      if (begin < r.offset) kept.emplace(begin, r.offset);
      if (end > r.end()) kept.emplace(r.end(), end);
    }
    it->second = std::move(kept);
  }

 private:
  std::map<int, std::map<uint64_t, uint64_t>> ranges_;
};

}  // namespace

Victim victim_of(const Finding& f) {
  switch (f.kind) {
    case FindingKind::write_after_read:
      return {f.first_op, f.first_access};  // the read sees the new value
    case FindingKind::read_after_write:     // the read sees the old value
    case FindingKind::stale_read:
      return {f.second_op, f.second_access};
    case FindingKind::write_after_write:
      return {f.second_op, f.second_access};  // the earlier write lands last
  }
  return {};
}

std::vector<CorruptedHostRead> corrupted_host_reads(const std::vector<TraceEntry>& trace,
                                                    const Victim& victim, std::size_t limit) {
  std::vector<CorruptedHostRead> out;
  if (victim.op < 0) return out;
  TaintedBytes tainted;
  for (std::size_t op = static_cast<std::size_t>(victim.op);
       op < trace.size() && out.size() < limit; ++op) {
    const TraceEntry& e = trace[op];
    if (e.kind != TraceKind::access) continue;
    const auto& accesses = e.op.accesses;
    std::vector<bool> read_bad(accesses.size(), false);
    std::map<int, bool> group_bad;
    const std::size_t first =
        op == static_cast<std::size_t>(victim.op) ? static_cast<std::size_t>(victim.access) : 0;
    for (std::size_t i = first; i < accesses.size(); ++i) {
      const Access& a = accesses[i];
      if (!a.is_write) {
        const bool bad =
            (op == static_cast<std::size_t>(victim.op) && i == first) || tainted.overlaps(a.region);
        read_bad[i] = bad;
        if (bad) group_bad[a.group] = true;
        if (bad && e.op.kind == OpKind::host_read && e.agent == kHostAgent)
          out.push_back({static_cast<int>(op), a});
        continue;
      }
      // A victim that is itself a write (WAW): its bytes end up wrong.
      const bool bad = (op == static_cast<std::size_t>(victim.op) && i == first) ||
                       (a.from_read >= 0 ? read_bad[a.from_read] : group_bad[a.group]);
      if (bad)
        tainted.add(a.region);
      else
        tainted.remove(a.region);
    }
  }
  return out;
}

}  // namespace schedcheck
