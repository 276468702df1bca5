#include "sim/report_naming.hpp"

#include "scenario/kv_sequences.hpp"

namespace schedcheck {
namespace {

std::pair<int, int> batch_ubatch(const Scenario& s, int eval) {
  if (!s.program.empty()) return {0, eval};  // a program's computes are one batch's ubatches
  int batch = 0;
  for (int ubatches : s.driver.ubatches_per_batch) {
    if (eval < ubatches) return {batch, eval};
    eval -= ubatches;
    ++batch;
  }
  return {batch, eval};
}

}  // namespace

ValueName value_name(const Scenario& s, const LogicalValue& value) {
  ValueName name;
  if (value.tensor == kNone) return name;
  name.tensor = s.tensors[value.tensor].name;
  if (value.eval == kInitialEval) {
    name.form = ValueName::Form::initial;
    return name;
  }
  name.form = ValueName::Form::computed;
  std::tie(name.batch, name.ubatch) = batch_ubatch(s, value.eval);
  return name;
}

ReportNaming::ReportNaming(const ReplayResult& replay)
    : replay_(replay), kv_partitioned_(kv_partitioned_tensors(replay.run.scenario)) {}

std::string ReportNaming::backend_or_agent(int agent_id) const {
  const Agent& a = agent(agent_id);
  return a.backend != kNone ? scenario().backends[a.backend].name : a.name;
}

TensorName ReportNaming::tensor(const Access& a) const {
  TensorName name;
  if (a.tensor != kNone && kv_partitioned_[static_cast<std::size_t>(a.tensor)])
    name.sequence = kv_sequence_at(scenario(), scenario().tensors[a.tensor].size, a.tensor_offset);
  if (a.copy != kNone) {
    name.form = TensorName::Form::copy_slot;
    name.name = replay_.run.plan.copies[a.copy].name;
    name.slot = a.slot;
    return name;
  }
  if (a.tensor == kNone) return {};
  const Tensor& t = scenario().tensors[a.tensor];
  name.name = t.name;
  for (const auto& [member, buffers] : replay_.run.meta_buffers)
    if (a.region.buffer == buffers.reduce) {
      name.form = TensorName::Form::in_buffer;
      name.buffer = scenario().buffers[a.region.buffer].name;
      return name;
    }
  // With one copy there is one slot: naming it would only add noise.
  const bool slot = t.role == TensorRole::user_input && replay_.run.layout.n_copies > 1;
  name.form = slot ? TensorName::Form::tensor_in_slot : TensorName::Form::tensor;
  name.slot = slot ? a.slot : 0;
  return name;
}

BufferName ReportNaming::buffer(int buffer) const {
  const Buffer& b = scenario().buffers[buffer];
  return {b.name, b.kind};
}

CallPlace ReportNaming::place(const CallSite& cs) const {
  CallPlace p{cs.eval, cs.batch, cs.ubatch, cs.split, "", cs.assignment_epoch};
  if (cs.split != kNone) {
    const Split& split = replay_.run.epoch(cs.assignment_epoch).plan.splits[cs.split];
    p.split_backend = scenario().backends[split.backend].name;
  }
  return p;
}

CopyOperation ReportNaming::copy(const TraceEntry& e) const {
  const Access& src = e.op.accesses[0];
  const Access& dst = e.op.accesses[1];
  const BufferKind source_kind = scenario().buffers[src.region.buffer].kind;
  const BufferKind destination_kind = scenario().buffers[dst.region.buffer].kind;
  CopyOperation c;
  const AgentKind kind = agent(e.agent).kind;
  c.mode = kind == AgentKind::host              ? CopyOperation::Mode::host_memcpy
           : kind == AgentKind::blocking_stream ? CopyOperation::Mode::blocking_copy
                                                : CopyOperation::Mode::async_copy;
  c.source_on_host = is_host_buffer(source_kind);
  c.destination_on_host = is_host_buffer(destination_kind);
  c.source = tensor(src);
  c.destination = tensor(dst);
  if (c.mode != CopyOperation::Mode::async_copy) return c;
  if (c.source_on_host) {
    c.host_timing = e.op.reads_at_call ? CopyOperation::HostTiming::source_captured_at_call
                                       : CopyOperation::HostTiming::source_read_at_execution;
    c.host_buffer_kind = source_kind;
  }
  if (c.destination_on_host) {
    c.host_timing = CopyOperation::HostTiming::destination_written_at_execution;
    c.host_buffer_kind = destination_kind;
  }
  return c;
}

HostAccess ReportNaming::host_access(const TraceEntry& e) const {
  HostAccess h{HostAccess::Kind::other_read, tensor(e.op.accesses[0]), {}};
  if (e.op.kind == OpKind::host_write && e.site().step == kInputSourceStep) {
    h.kind = HostAccess::Kind::source_write;
    h.buffer = scenario().buffers[static_cast<std::size_t>(e.op.accesses[0].region.buffer)].name;
  } else if (e.op.kind == OpKind::host_write) {
    h.kind = e.site().call == Call::tensor_set ? HostAccess::Kind::upload_write
                                               : HostAccess::Kind::set_inputs_write;
  } else if (e.site().call == Call::host_read_output) {
    h.kind = HostAccess::Kind::output_read;
  } else if (e.site().call == Call::moe_ids_read) {
    h.kind = HostAccess::Kind::expert_ids_read;
  } else if (e.site().call == Call::eval_callback_read) {
    h.kind = HostAccess::Kind::eval_callback_read;
  }
  return h;
}

OperationDescription ReportNaming::operation(int entry) const {
  const TraceEntry& e = replay_.trace[entry];
  switch (e.op.kind) {
    case OpKind::compute: {
      const Index split_index = e.site().split;
      const PreparedRun& run = replay_.run.epoch(e.site().assignment_epoch);
      const Split& split = run.plan.splits[split_index];
      GraphRun g{split_index, replay_.run.layout.queue_of[split.backend] < 0,
                 scenario().nodes[split.first_node].name, scenario().nodes[split.end_node - 1].name,
                 ""};
      if (e.site().step == kAllReduceStep && !e.op.accesses.empty())
        g.reduces = scenario().tensors[e.op.accesses.back().tensor].name;
      return g;
    }
    case OpKind::copy:
      return copy(e);
    case OpKind::host_write:
    case OpKind::host_read:
      break;
  }
  return host_access(e);
}

TraceStep ReportNaming::step(int entry) const {
  const TraceEntry& e = replay_.trace[entry];
  TraceStep step;
  step.kind = e.kind;
  step.place = place(e.site());
  switch (e.kind) {
    case TraceKind::wait_queue:
      step.agent = agent(e.target).name;
      break;
    case TraceKind::wait_event:
      step.agent = agent(e.agent).name;
      step.event = replay_.run.layout.events[e.event].name;
      break;
    case TraceKind::host_wait_event:
    case TraceKind::record:
      step.event = replay_.run.layout.events[e.event].name;
      break;
    case TraceKind::access:
      step.call = e.site().call;
      step.operation = operation(entry);
      break;
  }
  return step;
}

AccessDescription ReportNaming::access_description(int op, int index, int agent_id) const {
  AccessDescription d;
  if (op < 0) return d;
  const TraceEntry& e = replay_.trace[op];
  const CallSite& cs = e.site();
  const Access& a = e.op.accesses[index];
  d.agent_id = agent_id;
  d.agent = agent(agent_id).name;
  d.operation = operation(op);
  d.call = cs.call;
  if (cs.role == Role::policy) d.step = std::string(cs.step);
  d.place = place(cs);
  d.tensor = tensor(a);
  d.trace_index = op;
  // The epoch is the performing agent's; an access seen from another agent has none.
  d.epoch = agent_id == e.agent ? e.epoch : 0;
  d.is_write = a.is_write;
  return d;
}

}  // namespace schedcheck
