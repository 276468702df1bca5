#include "sim/race_report.hpp"

#include "sim/corruption_trace.hpp"

#include <fmt/format.h>

#include <map>
#include <tuple>

namespace schedcheck {
namespace {

std::pair<int, int> batch_ubatch(const Scenario& s, int eval) {
  int b = 0;
  for (int n : s.driver.ubatches_per_batch) {
    if (eval < n) return {b, eval};
    eval -= n;
    ++b;
  }
  return {b, eval};
}

class Explainer {
 public:
  explicit Explainer(const ReplayResult& r) : r_(r), s_(r.run.scenario), l_(r.run.layout) {}

  PolicyVerdict run() {
    PolicyVerdict v;
    v.policy = r_.run.policy.name;
    v.commit = r_.run.policy.commit;
    v.reference = r_.run.policy.reference;
    v.evaluations = r_.stats.evaluations;
    v.reused_graphs = r_.stats.reused_graphs;
    v.operations = r_.trace.size();
    v.accesses = r_.accesses;
    v.n_copies = l_.n_copies;
    v.pipeline_parallel = l_.pipeline_parallel;
    group(v);
    v.verdict = verdict_of(r_.findings);
    patterns(v);
    return v;
  }

 private:
  const Access& access(int op, int index) const { return r_.trace[op].op.accesses[index]; }
  const CallSite& site(int op) const { return r_.trace[op].site(); }

  std::string tensor_name(const Access& a) const {
    if (a.copy != kNone) return r_.run.plan.copies[a.copy].name + "#" + std::to_string(a.slot);
    if (a.tensor == kNone) return "?";
    const Tensor& t = s_.tensors[a.tensor];
    if (t.role == TensorRole::user_input && l_.n_copies > 1)
      return t.name + " (slot " + std::to_string(a.slot) + ")";
    return t.name;
  }

  std::string where(const CallSite& cs) const {
    std::string w = fmt::format("batch {} ubatch {}", cs.batch, cs.ubatch);
    if (cs.split != kNone)
      w += fmt::format(" split {} ({})", cs.split,
                       s_.backends[r_.run.plan.splits[cs.split].backend].name);
    return w;
  }

  std::string copy_kind(const TraceEntry& e) const {
    const Access& src = e.op.accesses[0];
    const Access& dst = e.op.accesses[1];
    const Buffer& sb = s_.buffers[src.region.buffer];
    const Buffer& db = s_.buffers[dst.region.buffer];
    const bool sh = is_host_buffer(sb.kind), dh = is_host_buffer(db.kind);
    const Agent& agent = l_.agents[e.agent];
    std::string mode = agent.kind == AgentKind::host              ? "host memcpy"
                       : agent.kind == AgentKind::blocking_stream ? "blocking copy"
                                                                  : "async copy";
    std::string dir = sh && dh ? "host->host"
                      : sh     ? "host->device"
                      : dh     ? "device->host"
                               : "device->device";
    std::string note;
    if (agent.kind != AgentKind::host && agent.kind != AgentKind::blocking_stream && sh)
      note = e.op.reads_at_call
                 ? " (source captured at the call)"
                 : fmt::format(" ({} source read when the copy executes)", to_string(sb.kind));
    if (agent.kind != AgentKind::host && agent.kind != AgentKind::blocking_stream && dh)
      note = fmt::format(" ({} destination written when the copy executes)", to_string(db.kind));
    return fmt::format("{} {} {} -> {}{}", mode, dir, tensor_name(src), tensor_name(dst), note);
  }

  std::string operation(int op) const {
    const TraceEntry& e = r_.trace[op];
    const CallSite& cs = e.site();
    switch (e.op.kind) {
      case OpKind::compute: {
        const Split& split = r_.run.plan.splits[cs.split];
        bool host = l_.queue_of[split.backend] < 0;
        return fmt::format("{} graph of split {} (nodes {}..{})", host ? "CPU-side" : "queued",
                           cs.split, s_.nodes[split.first_node].name,
                           s_.nodes[split.end_node - 1].name);
      }
      case OpKind::copy:
        return copy_kind(e);
      case OpKind::host_write:
        return fmt::format("set_inputs writes {}", tensor_name(e.op.accesses[0]));
      case OpKind::host_read:
        if (cs.call == Call::host_read_output)
          return fmt::format("host reads the output rows of {}", tensor_name(e.op.accesses[0]));
        if (cs.call == Call::moe_ids_read) return "host reads the expert ids it fetched";
        if (cs.call == Call::eval_callback_read)
          return fmt::format("eval callback reads {}", tensor_name(e.op.accesses[0]));
        return fmt::format("host reads {}", tensor_name(e.op.accesses[0]));
    }
    return "?";
  }

  AccessDescription describe(int op, int index, int agent) const {
    AccessDescription d;
    if (op < 0) return d;
    const TraceEntry& e = r_.trace[op];
    const CallSite& cs = e.site();
    const Access& a = e.op.accesses[index];
    d.agent = l_.agents[agent].name;
    d.operation = operation(op);
    d.call = std::string(to_string(cs.call));
    if (!cs.step.empty() && cs.role == Role::policy) d.call += " (" + std::string(cs.step) + ")";
    d.where = where(cs);
    d.tensor = tensor_name(a);
    d.eval = cs.eval;
    d.batch = cs.batch;
    d.ubatch = cs.ubatch;
    d.split = cs.split;
    d.trace_index = op;
    d.epoch = agent == e.agent ? e.epoch : 0;
    d.is_write = a.is_write;
    return d;
  }

  std::string describe_entry(int entry) const {
    const TraceEntry& e = r_.trace[entry];
    const CallSite& cs = e.site();
    std::string what;
    switch (e.kind) {
      case TraceKind::wait_queue:
        what = fmt::format("synchronize({})", l_.agents[e.target].name);
        break;
      case TraceKind::host_wait_event:
        what = fmt::format("event_synchronize({})", l_.events[e.event].name);
        break;
      case TraceKind::wait_event:
        what = fmt::format("event_wait({}, {})", l_.agents[e.agent].name, l_.events[e.event].name);
        break;
      case TraceKind::record:
        what = fmt::format("event_record({})", l_.events[e.event].name);
        break;
      case TraceKind::access:
        what = fmt::format("{} [{}]", to_string(cs.call), operation(entry));
        break;
    }
    return fmt::format("{} at {}", what, where(cs));
  }

  void classify(FindingGroup& g) const {
    const Finding& f = g.first;
    if (f.kind == FindingKind::stale_read) {
      const Access& read = access(f.second_op, f.second_access);
      if (read.copy != kNone && l_.agents[f.second_agent].kind != AgentKind::host) {
        g.mechanism = Mechanism::stale_slot;
        g.mechanism_text =
            "the graph reads copy-slot bytes that this evaluation did not fill (the copy went to "
            "another slot, or these bytes were not copied)";
      } else if (l_.agents[f.second_agent].kind == AgentKind::host) {
        g.mechanism = Mechanism::stale_host_read;
        g.mechanism_text =
            "the host reads data that this evaluation has not yet produced or copied";
      } else if (f.seen.tensor == kNone) {
        g.mechanism = Mechanism::uninitialized;
        g.mechanism_text = "the read sees memory that nothing wrote before it";
      } else {
        g.mechanism = Mechanism::stale;
        g.mechanism_text = "ordered accesses, but the read sees another evaluation's value";
      }
      return;
    }
    const bool war = f.kind == FindingKind::write_after_read;
    const int read_op = war ? f.first_op : f.second_op;
    const int read_agent = war ? f.first_agent : f.second_agent;
    const int write_op = war ? f.second_op : f.first_op;
    const int write_agent = war ? f.second_agent : f.first_agent;
    const int write_access = war ? f.second_access : f.first_access;
    const AgentKind rk = l_.agents[read_agent].kind;
    const AgentKind wk = l_.agents[write_agent].kind;
    const bool read_is_queue = rk == AgentKind::queue || rk == AgentKind::transfer_queue;
    if (f.kind != FindingKind::write_after_write && r_.trace[read_op].op.kind == OpKind::copy &&
        read_is_queue && is_host_buffer(s_.buffers[f.buffer].kind)) {
      g.mechanism = Mechanism::H2;
      g.mechanism_text =
          "source of an asynchronous host->device copy rewritten before the copy read it";
      return;
    }
    const Access& w = access(write_op, write_access);
    if (w.copy != kNone && r_.trace[write_op].op.kind == OpKind::copy && wk == AgentKind::queue &&
        l_.agents[write_agent].backend != r_.run.plan.copies[w.copy].backend) {
      g.mechanism = Mechanism::H1;
      g.mechanism_text =
          "copy issued on the source queue overwrites a destination slot the destination may still "
          "read";
      return;
    }
    // A blocking copy runs on a hidden stream (CUDA) or as a host memcpy (Metal's shared memory):
    // either way nothing orders it with the backend's queue.
    const bool blocking_write = wk == AgentKind::blocking_stream ||
                                (wk == AgentKind::host && site(write_op).call == Call::tensor_copy);
    if (rk == AgentKind::blocking_stream || blocking_write) {
      g.mechanism = Mechanism::H3;
      g.mechanism_text =
          "blocking copy (hidden stream or host memcpy) not ordered with the backend's queue";
      return;
    }
    if (site(f.second_op).call == Call::host_read_output) {
      g.mechanism = Mechanism::H4;
      g.mechanism_text = "host reads asynchronously copied outputs before synchronizing";
      return;
    }
    g.mechanism = Mechanism::other;
    g.mechanism_text = "unordered conflicting accesses";
  }

  void edges(FindingGroup& g) const {
    const Finding& f = g.first;
    if (f.kind == FindingKind::stale_read) {
      const Access& read = access(f.second_op, f.second_access);
      g.ordering_present =
          f.first_op >= 0
              ? "the read is ordered after the write it sees (no race); the value is wrong"
              : "no write reached these bytes before the read";
      g.missing_edge = "none: the read must target the copy/slot this evaluation wrote";
      g.cheapest_fix = read.copy != kNone
                           ? "fill exactly the bytes the graph reads, in the slot it reads: the "
                             "copy index must not change between alloc_graph and compute_splits, "
                             "and a partial copy must cover what the graph will read"
                           : "read the tensor where this evaluation's value is (its source), or "
                             "issue its copy before the read";
      g.effect = fmt::format("reads {} where the graph prescribes {}", describe_value(s_, f.seen),
                             describe_value(s_, f.expected));
      return;
    }
    const Agent& a = l_.agents[f.first_agent];
    const Agent& b = l_.agents[f.second_agent];
    g.ordering_present =
        f.learned_via >= 0
            ? fmt::format("{} knew {} up to @{} through {}; the conflicting access is {}@{}",
                          b.name, a.name, f.known_epoch, describe_entry(f.learned_via), a.name,
                          f.needed_epoch)
            : fmt::format(
                  "{} has no happens-before path from {} at all; the conflicting access is {}@{}",
                  b.name, a.name, a.name, f.needed_epoch);
    g.missing_edge = fmt::format("{} #{} ({}) -> {} #{} ({})", a.name, f.first_op,
                                 to_string(site(f.first_op).call), b.name, f.second_op,
                                 to_string(site(f.second_op).call));
    const std::string before =
        fmt::format("before {} at {}", to_string(site(f.second_op).call), where(site(f.second_op)));
    const std::string after = fmt::format("right after {} at {}", to_string(site(f.first_op).call),
                                          where(site(f.first_op)));
    const std::string first_backend = a.backend != kNone ? s_.backends[a.backend].name : a.name;
    if (b.kind == AgentKind::host || b.kind == AgentKind::blocking_stream) {
      g.fix_blocks_host = true;
      g.cheapest_fix = fmt::format(
          "the host must wait: event_record(e, {}) {}, then event_synchronize(e) {} "
          "(or synchronize({}) there, which also waits for later work)",
          first_backend, after, before, first_backend);
    } else if (a.kind == AgentKind::queue || a.kind == AgentKind::transfer_queue) {
      const std::string second_backend = b.backend != kNone ? s_.backends[b.backend].name : b.name;
      g.cheapest_fix = fmt::format(
          "device-side, no host wait: event_record(e, {}) {}, then event_wait({}{}, e) {}",
          first_backend, after, second_backend,
          b.kind == AgentKind::transfer_queue ? " transfer queue" : "", before);
    } else {
      g.cheapest_fix = fmt::format("issue {} only after {}", describe_entry(f.second_op),
                                   describe_entry(f.first_op));
    }
    const Access& second = access(f.second_op, f.second_access);
    switch (f.kind) {
      case FindingKind::write_after_read: {
        const Access& r = access(f.first_op, f.first_access);
        g.effect = fmt::format("if the write lands first, {} reads {} instead of {}", a.name,
                               describe_value(s_, f.expected), describe_value(s_, r.value));
        break;
      }
      case FindingKind::read_after_write:
        g.effect =
            fmt::format("if the read runs first, {} reads the previous contents instead of {}",
                        b.name, describe_value(s_, second.value));
        break;
      case FindingKind::write_after_write:
        g.effect = fmt::format(
            "if the writes complete in the other order, the bytes keep {} instead of {}",
            describe_value(s_, f.expected), describe_value(s_, f.seen));
        break;
      default:
        break;
    }
  }

  // Occurrences of one finding in different evaluations share: kind, both agents, the calls
  // and steps that issued both accesses, their splits, and the tensors (not the slots).
  using GroupKey = std::tuple<int, int, int, int, int, std::string_view, std::string_view, int, int,
                              int, int, int, int, int>;
  GroupKey group_key(const Finding& f) const {
    auto part = [&](int op, int index) {
      if (op < 0) return std::make_tuple(-1, -1, std::string_view{}, -1, -1);
      const CallSite& cs = site(op);
      const Access& a = access(op, index);
      return std::make_tuple(static_cast<int>(cs.call), static_cast<int>(cs.split), cs.step,
                             static_cast<int>(a.tensor), static_cast<int>(a.copy));
    };
    auto [c1, s1, st1, t1, k1] = part(f.first_op, f.first_access);
    auto [c2, s2, st2, t2, k2] = part(f.second_op, f.second_access);
    return {static_cast<int>(f.kind),
            f.first_agent,
            f.second_agent,
            c1,
            c2,
            st1,
            st2,
            s1,
            s2,
            t1,
            k1,
            t2,
            k2,
            f.buffer};
  }

  void consequences(FindingGroup& g) const {
    const auto reads = corrupted_host_reads(r_.trace, victim_of(g.first), 3);
    g.reaches_host = !reads.empty();
    if (reads.empty()) {
      g.corrupts = "no host-visible read in this run depends on the wrong value";
      return;
    }
    for (const auto& h : reads) {
      const CallSite& cs = site(h.trace_index);
      std::string what =
          cs.call == Call::host_read_output
              ? "the application reads a corrupted " + describe_value(s_, h.access.value) +
                    " after synchronizing"
          : cs.call == Call::moe_ids_read
              ? "the scheduler selects experts from corrupted ids (" + tensor_name(h.access) + ")"
          : cs.call == Call::eval_callback_read
              ? "the eval callback sees corrupted " + tensor_name(h.access)
              : "the host reads corrupted " + tensor_name(h.access);
      g.corrupts +=
          (g.corrupts.empty() ? "" : "; ") + what + fmt::format(" (trace #{})", h.trace_index);
    }
  }

  void group(PolicyVerdict& v) const {
    std::map<GroupKey, std::size_t> index;
    for (const Finding& f : r_.findings) {
      const AccessDescription first = describe(f.first_op, f.first_access, f.first_agent);
      const AccessDescription second = describe(f.second_op, f.second_access, f.second_agent);
      const GroupKey key = group_key(f);
      auto it = index.find(key);
      if (it != index.end()) {
        v.groups[it->second].evals.push_back(second.eval);
        continue;
      }
      FindingGroup g;
      g.first = f;
      g.evals.push_back(second.eval);
      g.kind = std::string(to_string(f.kind));
      const Buffer& buf = s_.buffers[f.buffer];
      g.buffer = fmt::format("{} ({})", buf.name, to_string(buf.kind));
      g.begin = f.begin;
      g.end = f.end;
      g.first_access = first;
      g.second_access = second;
      classify(g);
      edges(g);
      consequences(g);
      index.emplace(key, v.groups.size());
      v.groups.push_back(std::move(g));
    }
  }

  void patterns(PolicyVerdict& v) const {
    std::map<Index, std::string> per_split;
    for (const HostCall& c : r_.calls) {
      if (c.site.eval != 0) continue;
      v.call_pattern += c.letter;
      if (c.site.role == Role::policy && c.site.split != kNone) per_split[c.site.split] += c.letter;
    }
    for (Index k = 0; k < static_cast<Index>(r_.run.plan.splits.size()); ++k)
      v.split_patterns.push_back(
          fmt::format("{}:{}", s_.backends[r_.run.plan.splits[k].backend].name, per_split[k]));
  }

  const ReplayResult& r_;
  const Scenario& s_;
  const ExecutionLayout& l_;
};

}  // namespace

std::string describe_value(const Scenario& s, const LogicalValue& v) {
  if (v.tensor == kNone) return "uninitialized memory";
  const std::string& name = s.tensors[v.tensor].name;
  if (v.eval == kInitialEval) return "the initial contents of " + name;
  auto [b, u] = batch_ubatch(s, v.eval);
  return fmt::format("{} of batch {} ubatch {}", name, b, u);
}

PolicyVerdict explain(const ReplayResult& r) {
  return Explainer(r).run();
}

}  // namespace schedcheck
