#include "scenario/json/strict_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "scenario/json/limits.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck::json_format {
namespace {

// Line and column (both 1-based) of the byte at `position` (nlohmann counts bytes read, so the
// offending byte is position - 1).
std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t position) {
  const std::size_t pos = std::min(position > 0 ? position - 1 : 0, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < pos; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return {line, pos - line_start + 1};
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 5: syntax
// error while parsing value - ..."; keep only the part after the location.
std::string parse_error_detail(const std::string& what) {
  std::string_view rest = what;
  if (auto close = rest.find("] "); rest.starts_with("[json.exception.") && close != rest.npos)
    rest.remove_prefix(close + 2);
  if (rest.starts_with("parse error"))
    if (auto colon = rest.find(": "); colon != rest.npos) rest.remove_prefix(colon + 2);
  if (rest.starts_with("syntax error ")) rest.remove_prefix(13);
  // The "last read" excerpt may hold invalid UTF-8 or control bytes: escape them so that the
  // message itself stays printable (and embeddable in JSON reports).
  std::string out;
  for (char c : rest) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

// Parsing: a SAX handler that builds the document and rejects what nlohmann's own DOM parser
// would accept silently (duplicate keys: the last one would win) or recurse on (deep nesting).

struct ParseProblem {
  std::string path;
  std::string message;
};

class DomBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit DomBuilder(const std::string& text) : text_(text) {}

  bool null() { return value(Json(nullptr)); }
  bool boolean(bool v) { return value(Json(v)); }
  bool number_integer(number_integer_t v) { return value(Json(v)); }
  bool number_unsigned(number_unsigned_t v) { return value(Json(v)); }
  bool number_float(number_float_t v, const string_t&) { return value(Json(v)); }
  bool string(string_t& v) { return value(Json(std::move(v))); }
  bool binary(binary_t&) { return fail(child_path(), "binary values are not JSON"); }
  bool start_object(std::size_t) { return open(Json::object()); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    Frame& f = frames_.back();
    if (!f.keys.insert(k).second) return fail(at(f.path, k), "duplicate key " + in_quotes(k));
    f.key = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& ex) {
    auto [line, column] = line_column(text_, position);
    return fail("", "syntax error at line " + std::to_string(line) + ", column " +
                        std::to_string(column) + ": " + parse_error_detail(ex.what()));
  }

  Json& root() { return root_; }
  const std::optional<ParseProblem>& problem() const { return problem_; }

 private:
  struct Frame {
    Json* node;
    std::string path;
    std::string key;                       // objects: the key of the next value
    std::unordered_set<std::string> keys;  // objects: keys seen so far
  };

  bool fail(std::string path, std::string message) {
    if (!problem_) problem_ = ParseProblem{std::move(path), std::move(message)};
    return false;
  }

  std::string child_path() const {
    if (frames_.empty()) return "";
    const Frame& f = frames_.back();
    return f.node->is_array() ? at(f.path, f.node->size()) : at(f.path, f.key);
  }

  // Adds a value to the innermost container and returns where it now lives.
  Json* put(Json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Frame& f = frames_.back();
    if (f.node->is_array()) {
      f.node->push_back(std::move(value));
      return &f.node->back();
    }
    // ordered_map is a vector underneath; key() already rejected duplicates, so append directly
    // instead of paying operator[]'s linear search.
    auto& items = f.node->get_ref<Json::object_t&>();
    items.emplace_back(std::move(f.key), std::move(value));
    return &items.back().second;
  }

  bool value(Json v) {
    put(std::move(v));
    return true;
  }

  bool open(Json container) {
    std::string path = child_path();
    if (frames_.size() >= kMaxDepth)
      return fail(path, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    Json* node = put(std::move(container));
    frames_.push_back(Frame{node, std::move(path), {}, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  const std::string& text_;
  Json root_;
  std::vector<Frame> frames_;
  std::optional<ParseProblem> problem_;
};

}  // namespace

Json parse_strict(const std::string& text, const std::string& file) {
  DomBuilder builder(text);
  const bool ok = Json::sax_parse(text, &builder, Json::input_format_t::json, true, false);
  if (const auto& problem = builder.problem())
    throw ScenarioError(file, problem->path, problem->message);
  if (!ok) throw ScenarioError(file, "", "syntax error");
  return std::move(builder.root());
}

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ScenarioError(path, "", "cannot read the file: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ScenarioError(path, "",
                        std::string("cannot open the file for reading: ") + std::strerror(errno));
  // Read in chunks with a cap, so that a pipe or a device file cannot exhaust memory.
  std::string text;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes)
      throw ScenarioError(
          path, "", "the file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  if (in.bad()) throw ScenarioError(path, "", "error while reading the file");
  return text;
}

}  // namespace schedcheck::json_format
