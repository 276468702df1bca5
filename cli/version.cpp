#include "cli/version.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "bridge/ggml_tree.hpp"
#include "cli/build_info.hpp"

namespace schedcheck {

namespace fs = std::filesystem;

std::string default_corpus_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share/schedcheck/reports";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return SCHEDCHECK_DEFAULT_CORPUS;
}

std::string version_text() {
  using namespace build_info;
  std::string text = fmt::format("schedcheck {}\ncommit {}, {} build, {}\n{}\n", kVersion, kCommit,
                                 kBuildType, kCompiler, kCuda);
  if (const auto bundle = find_bundle()) {
    text += fmt::format("real ggml trees: ggml@PATH for a ggml or llama.cpp tree; ggml@TAG for");
    for (const std::string& tag : bundle_tags()) text += " " + tag;
    text += fmt::format(" (bundle {})\n", bundle->string());
  } else {
    text +=
        "real ggml trees: ggml@PATH for a ggml or llama.cpp tree (no ggml bundle found; "
        "SCHEDCHECK_GGML_BUNDLE names one)\n";
  }
  text += fmt::format("plugin cache: {}\ncorpus: {}\n", cache_dir().string(), default_corpus_dir());
  return text;
}

}  // namespace schedcheck
