// The words of a report: each piece of report data (sim/race_report.hpp) as the text the text
// and JSON reports, advise and the GPU runs print. Only formatting, no decisions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/race_report.hpp"

namespace schedcheck {

std::string to_text(const TensorName& tensor);  // "inp_embd", "CUDA0#inp_embd#1", ...
std::string to_text(const BufferName& buffer);  // "CUDA0_compute (device)"
std::string to_text(const ValueName& value);    // "inp_embd of batch 0 ubatch 1"
std::string to_text(const CallPlace& place);    // "batch 0 ubatch 1 split 1 (CUDA0)"
std::string to_text(const OperationDescription& operation);
std::string to_text(const TraceStep& step);            // "event_synchronize(e) at batch 0 ubatch 1"
std::string to_text(const SplitCallPattern& pattern);  // "CUDA0:ssasg"

// "cpy_tensor_async (input)": the call and the compute_splits step that issued it.
std::string call_text(const AccessDescription& access);
// to_text(access.place); empty when the access does not exist.
std::string place_text(const AccessDescription& access);

std::string mechanism_line(Mechanism mechanism);  // what the mechanism is, in one line
std::string to_text(const PresentOrdering& ordering);
std::string to_text(const std::optional<MissingEdge>& edge);
std::string to_text(const Fix& fix);
std::string to_text(const Effect& effect);
std::string to_text(const SequenceCrossing& crossing);
std::string to_text(const std::vector<CorruptedRead>& reads);

// to_text(value_name(s, value)): for traces outside a report.
std::string describe_value(const Scenario& s, const LogicalValue& value);

}  // namespace schedcheck
