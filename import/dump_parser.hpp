// Parses a pasted GGML_SCHED_DEBUG dump (every era of ggml_backend_sched_print_assignments:
// docs/import.md "What the importer reads") into a SchedDump. Never throws on content: what it
// cannot use is listed in SchedDump::unused with the line and the reason.
#pragma once

#include <string_view>

#include "import/sched_dump.hpp"

namespace schedcheck::import {

SchedDump parse_sched_dump(std::string_view paste);

// fmt_size's text ("  16K", "250M", "12345" cut from "12345M") as bytes; false if it is not one.
bool parse_dump_size(std::string_view text, DumpSize& out);

}  // namespace schedcheck::import
