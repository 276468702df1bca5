#include "bridge/ggml_tree.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "bridge/process.hpp"
#include "bridge/real_scheduler.hpp"

#ifndef SCHEDCHECK_SOURCE_DIR
#define SCHEDCHECK_SOURCE_DIR ""
#endif

namespace schedcheck {
namespace fs = std::filesystem;

namespace {

struct TagEra {
  const char* tag;
  const char* era;
  const char* commit;  // ggml's own commit (the bundle's README; each commit message carries it)
};
// The bundle's tags and the built-in policy of each one's era (ggml-head has ggml-26040's
// scheduler; README of the bundle).
constexpr TagEra kTags[] = {
    {"ggml-v0", "ggml-v0", "c01b2ea4"},       {"ggml-17795", "ggml-17795", "4b496bb9"},
    {"ggml-20463", "ggml-20463", "6f88db6a"}, {"ggml-20793", "ggml-20793", "5017f360"},
    {"ggml-25138", "ggml-25138", "d3f96b8d"}, {"ggml-26040", "ggml-26040", "0ab579a5"},
    {"ggml-head", "ggml-26040", "d99724f2"}};
constexpr const char* kHeadEra = "ggml-26040";

std::string tag_list() {
  std::string out;
  for (const TagEra& t : kTags) out += (out.empty() ? "" : ", ") + std::string(t.tag);
  return out;
}

bool is_tree(const fs::path& p) {
  return fs::exists(p / "src" / "ggml-backend.cpp") && fs::exists(p / "include" / "ggml.h");
}

fs::path self_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

std::optional<fs::path> bundle_near(fs::path dir) {
  for (; !dir.empty(); dir = dir.parent_path()) {
    const fs::path candidate = dir / "shared" / "upstream" / "ggml-versions.bundle";
    if (fs::exists(candidate)) return candidate;
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

// git archive of a tag into the cache (once; a temporary folder renamed into place).
fs::path extract_tag(const std::string& tag) {
  const fs::path cached = cache_dir() / "ggml-trees" / tag;
  if (is_tree(cached)) return cached;  // extracted earlier (or carried with the cache)
  const std::optional<fs::path> bundle = find_bundle();
  if (!bundle)
    throw BridgeError(
        "ggml@" + tag +
        ": no ggml bundle found (set SCHEDCHECK_GGML_BUNDLE to "
        "shared/upstream/ggml-versions.bundle, or name a folder: ggml@/path/to/ggml)");
  const fs::path root = cache_dir() / "ggml-trees";
  fs::create_directories(root);
  const fs::path git_dir = root / "bundle.git";
  const fs::path log = root / ("extract-" + tag + ".log");
  if (!fs::exists(git_dir / "HEAD")) {
    const fs::path tmp = root / ("bundle.git.tmp" + std::to_string(getpid()));
    if (run_process({"git", "clone", "-q", "--bare", bundle->string(), tmp.string()}, log) != 0)
      throw BridgeError("git clone of " + bundle->string() + " failed:\n" + log_tail(log));
    std::error_code ec;
    fs::rename(tmp, git_dir, ec);
    if (ec) fs::remove_all(tmp);
  }
  const fs::path dest = root / tag;
  if (is_tree(dest)) return dest;
  const fs::path tmp = root / (tag + ".tmp" + std::to_string(getpid()));
  fs::create_directories(tmp);
  const fs::path tar = tmp / "tree.tar";
  // The whole tree: its CMake files build ggml's own backends (bridge/ggml_cmake_build.cpp).
  if (run_process({"git", "--git-dir=" + git_dir.string(), "archive", "-o", tar.string(), tag},
                  log) != 0)
    throw BridgeError("ggml@" + tag + ": not a tag of " + bundle->string() +
                      " (tags: " + tag_list() + ")\n" + log_tail(log));
  if (run_process({"tar", "-xf", tar.string(), "-C", tmp.string()}, log) != 0)
    throw BridgeError("extracting ggml@" + tag + " failed:\n" + log_tail(log));
  fs::remove(tar);
  std::error_code ec;
  fs::rename(tmp, dest, ec);
  if (ec) fs::remove_all(tmp);  // another process extracted it first
  return dest;
}

}  // namespace

const std::vector<std::string>& bundle_tags() {
  static const std::vector<std::string> tags = [] {
    std::vector<std::string> out;
    for (const TagEra& t : kTags) out.emplace_back(t.tag);
    return out;
  }();
  return tags;
}

std::optional<fs::path> find_bundle() {
  if (const char* env = std::getenv("SCHEDCHECK_GGML_BUNDLE"); env && *env) {
    if (fs::exists(env)) return fs::path(env);
    return std::nullopt;
  }
  if (auto b = bundle_near(self_dir())) return b;
  if (auto b = bundle_near(fs::current_path())) return b;
  if (*SCHEDCHECK_SOURCE_DIR) return bundle_near(fs::path(SCHEDCHECK_SOURCE_DIR));
  return std::nullopt;
}

fs::path cache_dir() {
  if (const char* env = std::getenv("SCHEDCHECK_CACHE"); env && *env) return fs::path(env);
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return fs::path(xdg) / "schedcheck";
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".cache" / "schedcheck";
  return fs::temp_directory_path() / "schedcheck-cache";
}

GgmlTree resolve_tree(std::string_view spec_in) {
  std::string spec(spec_in);
  std::string era;
  GgmlTree t;
  t.label = std::string(kRealPolicyPrefix) + std::string(spec_in);
  // Options after the tree: ",as=ERA", ",devices=KIND", ",graph=computable", in any order.
  for (auto comma = spec.rfind(','); comma != std::string::npos; comma = spec.rfind(',')) {
    const std::string option = spec.substr(comma + 1);
    const auto eq = option.find('=');
    const std::string key = option.substr(0, eq),
                      value = eq == std::string::npos ? "" : option.substr(eq + 1);
    if (key == "as") {
      era = value;
    } else if (key == "devices") {
      if (value != "simulated" && value != "ggml-cpu" && value != "ggml-cuda")
        throw BridgeError(t.label + ": devices=" + value +
                          " (expected simulated, ggml-cpu or ggml-cuda)");
      t.devices = value;
    } else if (key == "graph") {
      if (value != "computable" && value != "placeholders")
        throw BridgeError(t.label + ": graph=" + value + " (expected computable or placeholders)");
      t.computable = value == "computable";
    } else {
      break;  // part of a folder's name
    }
    spec = spec.substr(0, comma);
  }
  if (t.devices != "simulated") t.computable = true;
  for (const TagEra& tag : kTags)
    if (spec == tag.tag) {
      t.root = extract_tag(spec);
      t.era = era.empty() ? tag.era : era;
      t.commit = tag.commit;
      return t;
    }
  if (spec.empty() || (spec.find('/') == std::string::npos && !fs::exists(spec)))
    throw BridgeError(t.label + ": expected a tag of the ggml bundle (" + tag_list() +
                      ") or a folder holding a ggml tree");
  fs::path root = fs::absolute(spec);
  if (!is_tree(root) && is_tree(root / "ggml")) root /= "ggml";  // a llama.cpp checkout
  if (!is_tree(root))
    throw BridgeError(t.label + ": " + root.string() +
                      " is not a ggml tree (expected src/ggml-backend.cpp and include/ggml.h)");
  t.root = fs::canonical(root);
  t.era = era.empty() ? kHeadEra : era;
  return t;
}

}  // namespace schedcheck
