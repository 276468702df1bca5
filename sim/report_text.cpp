#include "sim/report_text.hpp"

#include <fmt/format.h>

#include "sim/report_naming.hpp"

namespace schedcheck {
namespace {

std::string copy_text(const CopyOperation& c) {
  using Mode = CopyOperation::Mode;
  using HostTiming = CopyOperation::HostTiming;
  const char* mode = c.mode == Mode::host_memcpy     ? "host memcpy"
                     : c.mode == Mode::blocking_copy ? "blocking copy"
                                                     : "async copy";
  const char* direction = c.source_on_host && c.destination_on_host ? "host->host"
                          : c.source_on_host                        ? "host->device"
                          : c.destination_on_host                   ? "device->host"
                                                                    : "device->device";
  std::string timing;
  switch (c.host_timing) {
    case HostTiming::none:
      break;
    case HostTiming::source_captured_at_call:
      timing = " (source captured at the call)";
      break;
    case HostTiming::source_read_at_execution:
      timing =
          fmt::format(" ({} source read when the copy executes)", to_string(c.host_buffer_kind));
      break;
    case HostTiming::destination_written_at_execution:
      timing = fmt::format(" ({} destination written when the copy executes)",
                           to_string(c.host_buffer_kind));
      break;
  }
  return fmt::format("{} {} {} -> {}{}", mode, direction, to_text(c.source), to_text(c.destination),
                     timing);
}

std::string host_access_text(const HostAccess& h) {
  switch (h.kind) {
    case HostAccess::Kind::set_inputs_write:
      return "set_inputs writes " + to_text(h.tensor);
    case HostAccess::Kind::upload_write:
      return "ggml_backend_tensor_set writes " + to_text(h.tensor);
    case HostAccess::Kind::source_write:
      return "host fills " + h.buffer + " with the bytes it writes into " + to_text(h.tensor);
    case HostAccess::Kind::output_read:
      return "host reads the output rows of " + to_text(h.tensor);
    case HostAccess::Kind::expert_ids_read:
      return "host reads the expert ids it fetched";
    case HostAccess::Kind::eval_callback_read:
      return "eval callback reads " + to_text(h.tensor);
    case HostAccess::Kind::other_read:
      break;
  }
  return "host reads " + to_text(h.tensor);
}

std::string corrupted_read_text(const CorruptedRead& read) {
  std::string what;
  switch (read.reader) {
    case CorruptedRead::Reader::application_output:
      what = "the application reads a corrupted " + to_text(read.value) + " after synchronizing";
      break;
    case CorruptedRead::Reader::expert_selection:
      what = "the scheduler selects experts from corrupted ids (" + to_text(read.tensor) + ")";
      break;
    case CorruptedRead::Reader::eval_callback:
      what = "the eval callback sees corrupted " + to_text(read.tensor);
      break;
    case CorruptedRead::Reader::host:
      what = "the host reads corrupted " + to_text(read.tensor);
      break;
  }
  return what + fmt::format(" (trace #{})", read.trace_index);
}

// "right after graph_compute_async at batch 0 ubatch 0 split 2 (CUDA1)"
std::string call_at(const char* when, const TraceStep& access) {
  return fmt::format("{} {} at {}", when, to_string(access.call), to_text(access.place));
}

}  // namespace

std::string to_text(const TensorName& tensor) {
  if (tensor.sequence >= 0) {
    TensorName whole = tensor;
    whole.sequence = -1;
    return fmt::format("{} (cells of sequence {})", to_text(whole), tensor.sequence);
  }
  switch (tensor.form) {
    case TensorName::Form::unknown:
      break;
    case TensorName::Form::tensor:
      return tensor.name;
    case TensorName::Form::tensor_in_slot:
      return fmt::format("{} (slot {})", tensor.name, tensor.slot);
    case TensorName::Form::copy_slot:
      return fmt::format("{}#{}", tensor.name, tensor.slot);
    case TensorName::Form::in_buffer:
      return fmt::format("{} (partial sum in {})", tensor.name, tensor.buffer);
  }
  return "?";
}

std::string to_text(const BufferName& buffer) {
  return fmt::format("{} ({})", buffer.name, to_string(buffer.kind));
}

std::string to_text(const ValueName& value) {
  switch (value.form) {
    case ValueName::Form::uninitialized:
      break;
    case ValueName::Form::initial:
      return "the initial contents of " + value.tensor;
    case ValueName::Form::computed:
      return fmt::format("{} of batch {} ubatch {}", value.tensor, value.batch, value.ubatch);
  }
  return "uninitialized memory";
}

std::string to_text(const CallPlace& place) {
  std::string text = fmt::format("batch {} ubatch {}", place.batch, place.ubatch);
  if (place.split != kNone) text += fmt::format(" split {} ({})", place.split, place.split_backend);
  // Split numbers restart with every node assignment a program's set_backend makes.
  if (place.split != kNone && place.assignment_epoch > 0)
    text += fmt::format(" of node assignment {}", place.assignment_epoch);
  return text;
}

std::string to_text(const OperationDescription& operation) {
  const auto* graph = std::get_if<GraphRun>(&operation);
  if (graph && !graph->reduces.empty())
    return fmt::format("AllReduce step of split {}: adds the partial sums of {}", graph->split,
                       graph->reduces);
  if (graph)
    return fmt::format("{} graph of split {} (nodes {}..{})",
                       graph->on_host ? "CPU-side" : "queued", graph->split, graph->first_node,
                       graph->last_node);
  if (const auto* copy = std::get_if<CopyOperation>(&operation)) return copy_text(*copy);
  return host_access_text(std::get<HostAccess>(operation));
}

std::string to_text(const TraceStep& step) {
  std::string what;
  switch (step.kind) {
    case TraceKind::wait_queue:
      what = fmt::format("synchronize({})", step.agent);
      break;
    case TraceKind::host_wait_event:
      what = fmt::format("event_synchronize({})", step.event);
      break;
    case TraceKind::wait_event:
      what = fmt::format("event_wait({}, {})", step.agent, step.event);
      break;
    case TraceKind::record:
      what = fmt::format("event_record({})", step.event);
      break;
    case TraceKind::access:
      what = fmt::format("{} [{}]", to_string(step.call), to_text(*step.operation));
      break;
  }
  return fmt::format("{} at {}", what, to_text(step.place));
}

std::string to_text(const SplitCallPattern& pattern) {
  return pattern.backend + ":" + pattern.calls;
}

std::string call_text(const AccessDescription& access) {
  std::string text(to_string(access.call));
  if (!access.step.empty()) text += " (" + access.step + ")";
  return text;
}

std::string place_text(const AccessDescription& access) {
  return access.exists() ? to_text(access.place) : "";
}

std::string mechanism_line(Mechanism mechanism) {
  switch (mechanism) {
    case Mechanism::H1:
      return "copy on another queue (the source's, or the destination's transfer queue) "
             "overwrites a destination slot the destination may still read";
    case Mechanism::H2:
      return "source of an asynchronous host->device copy rewritten before the copy read it";
    case Mechanism::H3:
      return "blocking copy (hidden stream or host memcpy) not ordered with the backend's queue";
    case Mechanism::H4:
      return "host reads asynchronously copied outputs before synchronizing";
    case Mechanism::H5:
      return "a GPU kernel reads host memory in place (integrated GPU, no input copy) while the "
             "host rewrites it";
    case Mechanism::M1:
      return "a meta backend's AllReduce copies a partial sum, on the source device's queue, into "
             "an AllReduce buffer that the destination's ADD of the previous AllReduce may still "
             "read (docs/bugs/M1-meta-allreduce-buffer-reuse.md)";
    case Mechanism::other:
      break;
    case Mechanism::stale:
      return "ordered accesses, but the read sees another evaluation's value";
    case Mechanism::stale_host_read:
      return "the host reads data that this evaluation has not yet produced or copied";
    case Mechanism::stale_slot:
      return "the graph reads copy-slot bytes that this evaluation did not fill (the copy went to "
             "another slot, or these bytes were not copied)";
    case Mechanism::uninitialized:
      return "the read sees memory that nothing wrote before it";
  }
  return "unordered conflicting accesses";
}

std::string to_text(const PresentOrdering& ordering) {
  switch (ordering.kind) {
    case PresentOrdering::Kind::ordered_wrong_value:
      return "the read is ordered after the write it sees (no race); the value is wrong";
    case PresentOrdering::Kind::never_written:
      return "no write reached these bytes before the read";
    case PresentOrdering::Kind::unordered:
      break;
  }
  if (!ordering.last_sync)
    return fmt::format(
        "{} has no happens-before path from {} at all; the conflicting access is {}@{}",
        ordering.second_agent, ordering.first_agent, ordering.first_agent, ordering.needed_epoch);
  return fmt::format("{} knew {} up to @{} through {}; the conflicting access is {}@{}",
                     ordering.second_agent, ordering.first_agent, ordering.known_epoch,
                     to_text(*ordering.last_sync), ordering.first_agent, ordering.needed_epoch);
}

std::string to_text(const std::optional<MissingEdge>& edge) {
  if (!edge) return "none: the read must target the copy/slot this evaluation wrote";
  return fmt::format("{} #{} ({}) -> {} #{} ({})", edge->from.agent, edge->from.trace_index,
                     to_string(edge->from.call), edge->to.agent, edge->to.trace_index,
                     to_string(edge->to.call));
}

std::string to_text(const Fix& fix) {
  switch (fix.primitive) {
    case FixPrimitive::fill_read_slot:
      return "fill exactly the bytes the graph reads, in the slot it reads: the copy index must "
             "not change between alloc_graph and compute_splits, and a partial copy must cover "
             "what the graph will read";
    case FixPrimitive::read_current_value:
      return "read the tensor where this evaluation's value is (its source), or issue its copy "
             "before the read";
    case FixPrimitive::host_event_wait:
      return fmt::format(
          "the host must wait: event_record(e, {}) {}, then event_synchronize(e) {} "
          "(or synchronize({}) there, which also waits for later work)",
          fix.record_on, call_at("right after", fix.after), call_at("before", fix.before),
          fix.record_on);
    case FixPrimitive::device_event_wait:
      return fmt::format(
          "device-side, no host wait: event_record(e, {}) {}, then event_wait({}{}, e) {}",
          fix.record_on, call_at("right after", fix.after), fix.wait_on,
          fix.wait_on_transfer_queue ? " transfer queue" : "", call_at("before", fix.before));
    case FixPrimitive::issue_order:
      break;
  }
  return fmt::format("issue {} only after {}", to_text(fix.before), to_text(fix.after));
}

namespace {

std::string sequence_list(const std::vector<int>& seqs) {
  std::string out = seqs.size() == 1 ? "sequence " : "sequences ";
  for (std::size_t i = 0; i < seqs.size(); ++i)
    out += (i == 0 ? "" : i + 1 == seqs.size() ? " and " : ", ") + std::to_string(seqs[i]);
  return out;
}

}  // namespace

std::string to_text(const SequenceCrossing& c) {
  const std::string own = sequence_list(c.own);
  const std::string other = sequence_list(c.other);
  if (c.writes_cache)
    return fmt::format(
        "{} uses the {} of a ubatch of {} for the tokens of {}: their keys/values land in {} at "
        "cells of {}, a leak across requests (llama#28056)",
        c.node, c.input, other, own, c.cache, other);
  return fmt::format(
      "{} uses the {} of a ubatch of {} for the tokens of {}: they attend the cells of {} in {}, "
      "a leak across requests (llama#28056)",
      c.node, c.input, other, own, other, c.cache);
}

std::string to_text(const Effect& effect) {
  const std::string crossing = effect.crossing ? "; " + to_text(*effect.crossing) : "";
  const std::string wrong = effect.wrong ? to_text(*effect.wrong) : "the previous contents";
  const std::string right = to_text(effect.right);
  switch (effect.kind) {
    case FindingKind::stale_read:
      return fmt::format("reads {} where the graph prescribes {}{}", wrong, right, crossing);
    case FindingKind::write_after_read:
      return fmt::format("if the write lands first, {} reads {} instead of {}{}", effect.reader,
                         wrong, right, crossing);
    case FindingKind::read_after_write:
      return fmt::format("if the read runs first, {} reads {} instead of {}{}", effect.reader,
                         wrong, right, crossing);
    case FindingKind::write_after_write:
      break;
  }
  return fmt::format("if the writes complete in the other order, the bytes keep {} instead of {}",
                     wrong, right);
}

std::string to_text(const std::vector<CorruptedRead>& reads) {
  if (reads.empty()) return "no host-visible read in this run depends on the wrong value";
  std::string text;
  for (const CorruptedRead& read : reads)
    text += (text.empty() ? "" : "; ") + corrupted_read_text(read);
  return text;
}

std::string describe_value(const Scenario& s, const LogicalValue& value) {
  return to_text(value_name(s, value));
}

}  // namespace schedcheck
