// Which ggml source tree a real policy names: a tag of the bundle of ggml versions
// (`ggml@ggml-20793`) or a folder (`ggml@/path/to/ggml`, or a llama.cpp checkout whose ggml/
// folder is used), with the era whose llama.cpp rules and backend profile apply
// (`ggml@PATH,as=ggml-20793`; a folder defaults to ggml-head's era), and the devices its
// scheduler runs on: simulated (default), or ggml's own backends behind the recording proxy
// (`,devices=ggml-cpu`, `,devices=ggml-cuda`), which compute the graph's ops
// (`,graph=computable` gives simulated devices the same graph).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schedcheck {

struct GgmlTree {
  std::string label;                  // "ggml@ggml-20793", as the policy is named
  std::filesystem::path root;         // the folder with include/ and src/
  std::string era;                    // the built-in policy whose driver rules and profile apply
  std::string commit;                 // ggml's commit of a bundle tag; empty for a folder
  std::string devices = "simulated";  // "simulated", "ggml-cpu" or "ggml-cuda"
  bool computable = false;            // the graph's nodes are ops that backends compute
};

inline constexpr std::string_view kRealPolicyPrefix = "ggml@";

// Resolves a policy name after "ggml@"; extracts a bundle tag into the cache on first use.
// Throws BridgeError with what was expected when the tree or an option is not found.
GgmlTree resolve_tree(std::string_view spec);

// The tags of the bundle, in version order.
const std::vector<std::string>& bundle_tags();
// Where the bundle is: $SCHEDCHECK_GGML_BUNDLE, or shared/upstream/ggml-versions.bundle beside
// an ancestor of this checkout or of the current directory.
std::optional<std::filesystem::path> find_bundle();
// Where built plugins and extracted trees are kept: $SCHEDCHECK_CACHE, else
// $XDG_CACHE_HOME/schedcheck, else ~/.cache/schedcheck.
std::filesystem::path cache_dir();

}  // namespace schedcheck
