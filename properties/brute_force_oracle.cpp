#include "properties/brute_force_oracle.hpp"

#include "properties/oracle_memory.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace schedcheck {
namespace {

using oracle::Cell;
using oracle::Memory;
using oracle::Piece;
using oracle::data_of;
using oracle::is_unknown;


uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

// Lane 0 is the host, which takes one step per trace entry (performing host accesses and
// blocking copies, issuing queue entries, waiting). Lanes 1.. are the queues that occur in the
// trace, each executing its entries in FIFO order.
constexpr int kHostLane = 0;

struct EntryPlan {
  int lane = kHostLane;   // where the entry completes: the host or a queue lane
  int pos = -1;           // position within its lane (the host's is the trace index)
  int marker = -1;        // wait_event, host_wait_event: the record captured at issue, or -1
  int wait_lane = -1;     // wait_queue: the queue's lane (-1: the queue never got an entry)
  int wait_count = 0;     // wait_queue: entries of that lane issued before the wait
  int host_accesses = 0;  // accesses performed at the host step
  int lane_accesses = 0;  // accesses performed at the queue step
};

struct AccessInfo {
  AccessRef ref;
  AgentId agent = -1;  // the agent performing it: the host for reads at call
  int lane = kHostLane;
  int pos = -1;
  Region region;
  bool is_write = false;
};

struct Conflict {
  int other = -1;  // access id
  int pair = -1;
};

struct State {
  std::vector<int> pos;  // per lane: steps taken
  Memory memory;
  // Values that queued copies with reads at call read when they were issued, until they run.
  std::map<int, std::vector<std::vector<Piece>>> captured;
};

struct Counts {
  uint64_t orders = 0;
  uint64_t mismatching = 0;
};

class Explorer {
 public:
  Explorer(const std::vector<TraceEntry>& trace, const ExecutionLayout& layout,
           const OracleOptions& options)
      : trace_(trace), layout_(layout), options_(options) {
    plan();
    find_conflicts();
  }

  OracleResult run() {
    State root;
    root.pos.assign(lanes_.size(), 0);
    for (const InitialContent& c : options_.initial)
      root.memory.write(c.region, {{0, c.region.size, c.value}});
    search(std::move(root));
    result_.value_mismatch = !mismatches_.empty();
    for (auto& [ref, m] : mismatches_) result_.mismatches.push_back(m);
    for (const OraclePair& p : result_.pairs)
      if (p.reorderable()) result_.reorderable_conflict = true;
    return std::move(result_);
  }

 private:
  AgentKind kind_of(AgentId a) const {
    if (a < 0 || static_cast<std::size_t>(a) >= layout_.agents.size())
      throw std::invalid_argument("oracle: trace names an agent outside the layout");
    return layout_.agents[a].kind;
  }
  bool is_queue(AgentId a) const {
    const AgentKind k = kind_of(a);
    return k == AgentKind::queue || k == AgentKind::transfer_queue;
  }
  int lane_of(AgentId queue) {
    auto [it, added] = lane_of_agent_.try_emplace(queue, static_cast<int>(lanes_.size()));
    if (added) lanes_.emplace_back();
    return it->second;
  }

  void plan() {
    lanes_.emplace_back();  // the host
    plans_.resize(trace_.size());
    std::map<EventId, int> last_record;  // event -> latest record issued so far
    for (std::size_t i = 0; i < trace_.size(); ++i) {
      const TraceEntry& e = trace_[i];
      EntryPlan& p = plans_[i];
      const int index = static_cast<int>(i);
      p.pos = index;
      switch (e.kind) {
        case TraceKind::access: {
          int reads = 0;
          for (const Access& a : e.op.accesses) reads += !a.is_write;
          const int all = static_cast<int>(e.op.accesses.size());
          if (!is_queue(e.agent)) {  // host op, or blocking copy the host waits for
            p.host_accesses = all;
            break;
          }
          p.lane = lane_of(e.agent);
          p.host_accesses = e.op.reads_at_call ? reads : 0;
          p.lane_accesses = all - p.host_accesses;
          break;
        }
        case TraceKind::record:
          if (!is_queue(e.agent) || e.event < 0)
            throw std::invalid_argument("oracle: record without a queue or an event");
          p.lane = lane_of(e.agent);
          last_record[e.event] = index;
          break;
        case TraceKind::wait_event:
          if (!is_queue(e.agent) || e.event < 0)
            throw std::invalid_argument("oracle: event wait without a queue or an event");
          p.lane = lane_of(e.agent);
          if (auto it = last_record.find(e.event); it != last_record.end()) p.marker = it->second;
          break;
        case TraceKind::host_wait_event:
          if (auto it = last_record.find(e.event); it != last_record.end()) p.marker = it->second;
          break;
        case TraceKind::wait_queue:
          if (e.target >= 0 && is_queue(e.target)) {
            p.wait_lane = lane_of(e.target);
            p.wait_count = static_cast<int>(lanes_[p.wait_lane].size());
          }
          break;
      }
      if (p.lane != kHostLane) {
        p.pos = static_cast<int>(lanes_[p.lane].size());
        lanes_[p.lane].push_back(index);
      }
      if (e.kind == TraceKind::access) add_accesses(index);
    }
    lanes_[kHostLane].resize(trace_.size());
    for (std::size_t i = 0; i < trace_.size(); ++i) lanes_[kHostLane][i] = static_cast<int>(i);
  }

  void add_accesses(int entry) {
    const TraceEntry& e = trace_[entry];
    const EntryPlan& p = plans_[entry];
    first_access_.resize(entry + 1, -1);
    first_access_[entry] = static_cast<int>(accesses_.size());
    for (std::size_t a = 0; a < e.op.accesses.size(); ++a) {
      const Access& x = e.op.accesses[a];
      AccessInfo info;
      info.ref = AccessRef{entry, static_cast<int>(a)};
      info.region = x.region;
      info.is_write = x.is_write;
      const bool at_call = p.lane != kHostLane && e.op.reads_at_call && !x.is_write;
      info.agent = at_call ? kHostAgent : e.agent;
      info.lane = at_call ? kHostLane : p.lane;
      info.pos = at_call ? entry : p.pos;
      accesses_.push_back(info);
    }
  }

  void find_conflicts() {
    conflicts_.resize(accesses_.size());
    std::map<Index, std::vector<int>> by_buffer;
    for (std::size_t i = 0; i < accesses_.size(); ++i)
      by_buffer[accesses_[i].region.buffer].push_back(static_cast<int>(i));
    std::vector<std::pair<int, int>> found;
    for (const auto& [buffer, ids] : by_buffer)
      for (std::size_t x = 0; x < ids.size(); ++x)
        for (std::size_t y = x + 1; y < ids.size(); ++y) {
          const AccessInfo& a = accesses_[ids[x]];
          const AccessInfo& b = accesses_[ids[y]];
          if (a.agent != b.agent && (a.is_write || b.is_write) && a.region.overlaps(b.region))
            found.emplace_back(ids[x], ids[y]);
        }
    std::sort(found.begin(), found.end());  // ids follow trace order
    for (const auto& [x, y] : found) {
      const AccessInfo& a = accesses_[x];
      const AccessInfo& b = accesses_[y];
      OraclePair p;
      p.first = a.ref;
      p.second = b.ref;
      p.first_agent = a.agent;
      p.second_agent = b.agent;
      p.buffer = a.region.buffer;
      p.begin = std::max(a.region.offset, b.region.offset);
      p.end = std::min(a.region.end(), b.region.end());
      const int id = static_cast<int>(result_.pairs.size());
      result_.pairs.push_back(p);
      conflicts_[x].push_back({y, id});
      conflicts_[y].push_back({x, id});
    }
  }

  bool done(const State& s, int lane, int pos) const { return s.pos[lane] > pos; }
  bool marker_done(const State& s, int marker) const {
    return marker < 0 || done(s, plans_[marker].lane, plans_[marker].pos);
  }

  // The entry lane would perform next, or -1 if it has finished.
  int next_entry(const State& s, int lane) const {
    const auto& entries = lanes_[lane];
    return static_cast<std::size_t>(s.pos[lane]) < entries.size() ? entries[s.pos[lane]] : -1;
  }

  bool enabled(const State& s, int lane) const {
    const int i = next_entry(s, lane);
    if (i < 0) return false;
    const TraceEntry& e = trace_[i];
    const EntryPlan& p = plans_[i];
    if (lane == kHostLane) {
      if (e.kind == TraceKind::wait_queue)
        return p.wait_lane < 0 || s.pos[p.wait_lane] >= p.wait_count;
      if (e.kind == TraceKind::host_wait_event) return marker_done(s, p.marker);
      return true;
    }
    if (s.pos[kHostLane] <= i) return false;  // not issued yet
    if (e.kind == TraceKind::wait_event) return marker_done(s, p.marker);
    return true;
  }

  bool visible(const State& s, int lane) const {
    const EntryPlan& p = plans_[next_entry(s, lane)];
    return (lane == kHostLane ? p.host_accesses : p.lane_accesses) > 0;
  }

  // The lanes whose steps are explored from s.
  std::vector<int> choices(const State& s) const {
    std::vector<int> out;
    for (int lane = 0; lane < static_cast<int>(lanes_.size()); ++lane) {
      if (!enabled(s, lane)) continue;
      if (options_.collapse_invisible && !visible(s, lane)) return {lane};
      out.push_back(lane);
    }
    return out;
  }

  bool complete(const State& s) const {
    for (std::size_t lane = 0; lane < lanes_.size(); ++lane)
      if (static_cast<std::size_t>(s.pos[lane]) < lanes_[lane].size()) return false;
    return true;
  }

  // Every conflicting access that already ran ran before this one.
  void note_order(const State& s, int id) {
    for (const Conflict& c : conflicts_[id]) {
      const AccessInfo& other = accesses_[c.other];
      if (!done(s, other.lane, other.pos)) continue;
      OraclePair& p = result_.pairs[c.pair];
      if (c.other < id)
        p.first_before_second = true;
      else
        p.second_before_first = true;
    }
  }

  // Performs the reads (or writes) of trace entry `entry` on s; true if a read saw a wrong value.
  bool perform(State& s, int entry, bool reads, bool writes,
               std::vector<std::vector<Piece>>& seen) {
    const Operation& op = trace_[entry].op;
    bool bad = false;
    seen.resize(op.accesses.size());
    for (std::size_t a = 0; a < op.accesses.size(); ++a) {
      const Access& x = op.accesses[a];
      const int id = first_access_[entry] + static_cast<int>(a);
      if (!x.is_write) {
        if (!reads) continue;
        seen[a] = s.memory.read(x.region);
        for (const Piece& piece : seen[a]) {
          if (piece.value.same_data(x.value)) continue;
          bad = true;
          const AccessRef ref{entry, static_cast<int>(a)};
          if (!mismatches_.contains(ref))
            mismatches_.emplace(ref,
                                OracleMismatch{ref, x.region.buffer, x.region.offset + piece.begin,
                                               x.region.offset + piece.end, piece.value, x.value});
          break;
        }
        note_order(s, id);
        continue;
      }
      if (!writes) continue;
      s.memory.write(x.region, produced(x, seen));
      note_order(s, id);
    }
    return bad;
  }

  // What a write stores: a copy carries what its read saw at the same relative offset.
  static std::vector<Piece> produced(const Access& x, const std::vector<std::vector<Piece>>& seen) {
    if (x.from_read < 0 || static_cast<std::size_t>(x.from_read) >= seen.size())
      return {{0, x.region.size, x.value}};
    std::vector<Piece> out;
    uint64_t at = 0;
    for (const Piece& p : seen[x.from_read]) {
      const uint64_t b = std::min(p.begin, x.region.size);
      const uint64_t e = std::min(p.end, x.region.size);
      if (at < b) out.push_back({at, b, x.value});
      if (b < e) out.push_back({b, e, p.value});
      at = std::max(at, e);
    }
    if (at < x.region.size) out.push_back({at, x.region.size, x.value});
    return out;
  }

  // Takes lane's next step from s; returns the new state and whether a read saw a wrong value.
  std::pair<State, bool> step(const State& s, int lane) {
    State n = s;
    const int i = next_entry(s, lane);
    const TraceEntry& e = trace_[i];
    const EntryPlan& p = plans_[i];
    bool bad = false;
    if (e.kind == TraceKind::access) {
      std::vector<std::vector<Piece>> seen;
      if (lane == kHostLane && p.lane == kHostLane) {
        bad = perform(n, i, true, true, seen);
      } else if (lane == kHostLane) {
        if (e.op.reads_at_call) {  // the host reads the sources during the call
          bad = perform(n, i, true, false, seen);
          n.captured.emplace(i, std::move(seen));
        }
      } else if (e.op.reads_at_call) {
        auto it = n.captured.find(i);
        if (it == n.captured.end()) throw std::logic_error("oracle: copy ran before its issue");
        seen = std::move(it->second);
        n.captured.erase(it);
        bad = perform(n, i, false, true, seen);
      } else {
        bad = perform(n, i, true, true, seen);
      }
    }
    ++n.pos[lane];
    return {std::move(n), bad};
  }

  static void put(std::string& k, uint64_t v) { k.append(reinterpret_cast<const char*>(&v), 8); }
  static void put_value(std::string& k, const LogicalValue& v) {
    put(k, static_cast<uint64_t>(static_cast<int64_t>(v.tensor)));
    put(k, static_cast<uint64_t>(static_cast<int64_t>(v.eval)));
  }

  static std::string key(const State& s) {
    std::string k;
    for (int p : s.pos) put(k, static_cast<uint64_t>(p));
    for (const Cell& c : s.memory.cells()) {
      put(k, static_cast<uint64_t>(c.buffer));
      put(k, c.begin);
      put(k, c.end);
      put_value(k, c.value);
    }
    put(k, ~uint64_t{0});
    for (const auto& [entry, seen] : s.captured) {
      put(k, static_cast<uint64_t>(entry));
      for (const auto& pieces : seen) {
        put(k, pieces.size());
        for (const Piece& p : pieces) {
          put(k, p.begin);
          put(k, p.end);
          put_value(k, p.value);
        }
      }
    }
    return k;
  }

  struct Frame {
    State state;
    std::vector<int> lanes;
    std::size_t next = 0;
    bool arrived_bad = false;  // the step into this state made a read see a wrong value
    Counts counts;
    std::string key;
  };

  static void add(Counts& into, const Counts& child, bool step_bad) {
    into.orders = saturating_add(into.orders, child.orders);
    into.mismatching =
        saturating_add(into.mismatching, step_bad ? child.orders : child.mismatching);
  }

  // Depth-first over all orders; a state seen before contributes its memoized counts. Positions
  // only grow, so the state graph is acyclic and a state is never revisited while on the stack.
  void search(State root) {
    std::unordered_map<std::string, Counts> memo;
    std::vector<Frame> stack;
    auto push = [&](State s, std::string k, bool bad) {
      memo.emplace(k, Counts{});
      Frame f;
      f.lanes = choices(s);
      f.state = std::move(s);
      f.arrived_bad = bad;
      f.key = std::move(k);
      stack.push_back(std::move(f));
    };
    std::string root_key = key(root);
    push(std::move(root), std::move(root_key), false);
    Counts total;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < f.lanes.size()) {
        auto [child, bad] = step(f.state, f.lanes[f.next++]);
        std::string k = key(child);
        if (auto it = memo.find(k); it != memo.end()) {
          add(f.counts, it->second, bad);
          continue;
        }
        if (memo.size() >= options_.max_states) {
          result_.exhaustive = false;
          break;
        }
        push(std::move(child), std::move(k), bad);
        continue;
      }
      if (f.lanes.empty()) {
        if (!complete(f.state)) throw std::logic_error("oracle: no agent can take a step");
        f.counts = Counts{1, 0};
        ++result_.terminal_states;
      }
      const Counts c = f.counts;
      const bool bad = f.arrived_bad;
      memo[f.key] = c;
      stack.pop_back();
      if (stack.empty())
        total = c;
      else
        add(stack.back().counts, c, bad);
    }
    result_.states_explored = memo.size();
    if (result_.exhaustive) {
      result_.complete_orders = total.orders;
      result_.mismatching_orders = total.mismatching;
    }
  }

  const std::vector<TraceEntry>& trace_;
  const ExecutionLayout& layout_;
  const OracleOptions& options_;
  std::vector<EntryPlan> plans_;
  std::vector<std::vector<int>> lanes_;  // per lane: trace indexes in execution order
  std::map<AgentId, int> lane_of_agent_;
  std::vector<AccessInfo> accesses_;
  std::vector<int> first_access_;  // per trace entry: id of its first access
  std::vector<std::vector<Conflict>> conflicts_;
  std::map<AccessRef, OracleMismatch> mismatches_;
  OracleResult result_;
};

}  // namespace

OracleResult explore_orders(const std::vector<TraceEntry>& trace, const ExecutionLayout& layout,
                            const OracleOptions& options) {
  return Explorer(trace, layout, options).run();
}

OracleResult explore_orders(const std::vector<TraceEntry>& trace, const ExecutionLayout& layout,
                            std::size_t max_states, const std::vector<InitialContent>& initial) {
  OracleOptions options;
  options.max_states = max_states;
  options.initial = initial;
  return explore_orders(trace, layout, options);
}

}  // namespace schedcheck
