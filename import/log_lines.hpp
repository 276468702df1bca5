// Pasted logs as records: a GGML_SCHED_DEBUG dump is printed in pieces (one GGML_LOG_DEBUG per
// input, per source), so a logger that prefixes every call puts its prefix before and inside
// lines, and one that ends every call with a newline spreads a line over several. This turns
// the paste into the printer's own records (split headers, node lines, continuations) with
// the prefixes taken out, and keeps every other line for the report.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace schedcheck::import {

struct LogRecord {
  enum class Kind {
    split_header,  // starts with "## SPLIT #"
    node,          // starts with "node #"
    continuation,  // a piece of the previous record ("[name (size)] ", " name (size) [B c]")
    other,         // not printed by the scheduler
    elision,       // "..." on a line of its own: the user left part of the dump out
    blank,
  };
  Kind kind = Kind::other;
  int line = 0;      // 1-based line of the paste
  std::string text;  // the record without log prefixes and trailing blanks
};

struct LogLines {
  std::vector<LogRecord> records;
  bool crlf = false;           // Windows line ends were seen
  bool prefixes = false;       // log prefixes were taken out
  std::string example_prefix;  // the first one, for the report
  int invalid_utf8 = 0;        // bytes that were not UTF-8, each replaced by U+FFFD
};

LogLines split_log(std::string_view paste);

// "## SPLIT #" / "node #" followed by a number, at pos.
bool starts_record(std::string_view text, std::size_t pos);

}  // namespace schedcheck::import
