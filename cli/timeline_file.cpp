#include "cli/timeline_file.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/counterexample_file.hpp"
#include "timeline/timeline_builder.hpp"
#include "timeline/timeline_html.hpp"

namespace schedcheck {

std::string timeline_page(const ReplayResult& replay, const PolicyVerdict& verdict,
                          const ReportContext& context) {
  return timeline_html(build_timeline(replay, verdict, context));
}

std::string timeline_page(const Scenario& s, const Policy& policy, const ReportContext& context) {
  const ReplayResult r = replay(s, policy);
  return timeline_page(r, explain(r), context);
}

std::optional<std::string> timeline_target_error(const std::string& out) {
  if (!std::filesystem::exists(out)) return std::nullopt;
  return "--timeline " + out + ": the file exists; choose a new name";
}

bool write_timeline(const std::string& page, const std::string& out) {
  std::ofstream f(out, std::ios::binary);
  f << page;
  if (!f) {
    std::cerr << "schedcheck: --timeline " << out << ": cannot write the file\n";
    return false;
  }
  std::cerr << "wrote " << out << ": the timeline of this run (open it in a browser)\n";
  return true;
}

std::string save_timeline_beside(const std::string& saved_json, const Scenario& s,
                                 const Policy& policy) {
  const std::string page = timeline_page(s, policy, {s.name, saved_json});
  // write_scenario_file leaves the same text in place and refuses a different file.
  return write_scenario_file(page, std::filesystem::path(saved_json).replace_extension(".html"),
                             true);
}

}  // namespace schedcheck
