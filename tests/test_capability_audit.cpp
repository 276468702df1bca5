// docs/capabilities.md against the model: every cell of the source audit that gives a definite
// value (not n/a, conditional or unverified) equals capabilities_for(kind, profile of that tag).
// Device- or build-dependent cells ("conditional") come from the scenario's backend fields
// (docs/capabilities-audit-findings.md F2, F6, F11), not from the kind's table: skipped.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "scenario/capabilities.hpp"
#include "scenario/policy.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> cells_of(const std::string& row) {
  std::vector<std::string> cells;
  std::stringstream in(row.substr(1));
  for (std::string cell; std::getline(in, cell, '|');) cells.push_back(trim(cell));
  return cells;
}

// The value a cell states: its first word ("true [V3] — `path` ..." -> "true").
std::string stated_value(const std::string& cell) {
  return cell.substr(0, cell.find(' '));
}

struct Cell {
  std::string kind, field, tag, value;
};

// Every cell of the audit's tables, "=" resolved to the column on its left.
std::vector<Cell> audit_cells() {
  std::ifstream in(source_path("docs/capabilities.md"));
  std::vector<Cell> out;
  std::string kind, line;
  std::vector<std::string> tags;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) kind = line.substr(3);
    if (line.rfind("| capability |", 0) == 0) {
      tags = cells_of(line);
      tags.erase(tags.begin());
      continue;
    }
    if (line.rfind("| ", 0) != 0 || tags.empty() || line.rfind("|---", 0) == 0) continue;
    const std::vector<std::string> cells = cells_of(line);
    std::string previous;
    for (std::size_t t = 0; t < tags.size() && t + 1 < cells.size(); ++t) {
      const std::string value = cells[t + 1] == "=" ? previous : stated_value(cells[t + 1]);
      out.push_back({kind, cells[0], tags[t], value});
      previous = value;
    }
  }
  return out;
}

// The bundle's tags: the ggml versions and ggml-head.
std::vector<std::string> bundle_tags() {
  std::vector<std::string> tags;
  for (const Policy& version : ggml_versions()) tags.push_back(version.name);
  tags.push_back("ggml-head");
  return tags;
}

// The model's profile of a bundle tag (ggml-head runs ggml-26040's scheduler and backends).
const VersionProfile& profile_of(const std::string& tag) {
  return find_ggml_version(tag == "ggml-head" ? "ggml-26040" : tag)->knobs.profile;
}

TEST(CapabilityAudit, TheTableCoversEveryKindFieldAndTag) {
  const std::vector<Cell> cells = audit_cells();
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const Cell& c : cells) seen.insert({c.kind, c.field, c.tag});
  for (const char* kind : {"CPU", "BLAS", "CUDA", "HIP", "MUSA", "Vulkan", "Metal"})
    for (const CapabilityField& f : capability_fields())
      for (const std::string& tag : bundle_tags())
        EXPECT_TRUE(seen.contains({kind, std::string(f.name), tag}))
            << kind << " " << f.name << " " << tag;
}

TEST(CapabilityAudit, EveryDefiniteCellIsTheModelsValue) {
  int compared = 0;
  for (const Cell& c : audit_cells()) {
    if (c.value == "n/a" || c.value == "conditional" || c.value == "unverified") continue;
    const std::optional<BackendKind> kind = parse_backend_kind(c.kind);
    ASSERT_TRUE(kind.has_value()) << "section " << c.kind;
    const auto model = capability_text(capabilities_for(*kind, profile_of(c.tag)), c.field);
    ASSERT_TRUE(model.has_value()) << "a row the model does not have: " << c.field;
    ++compared;
    EXPECT_EQ(c.value, *model) << c.kind << " " << c.field << " at " << c.tag;
  }
  EXPECT_GT(compared, 500);  // 7 kinds x 23 fields x 7 tags, less the skipped cells
}

}  // namespace
}  // namespace schedcheck::testing
