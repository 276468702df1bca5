// What ggml's and llama.cpp's tensor names say: the scheduler's input copies
// ("CUDA0#inp_embd#0"), ggml's view names ("k-0 (view)", "x (reshaped)", "v (copy of y)"),
// and llama.cpp's names for user inputs, weights and the KV cache. Names in node lines may be
// cut to 20 characters, so every test accepts a cut name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace schedcheck::import {

struct CopyName {
  std::string backend;  // the split backend the copy is for
  std::string base;     // the tensor copied (may be cut)
  int index = -1;       // the copy slot; -1 when the name was cut before it
};
// "BACKEND#name#c" as ggml_backend_sched names its input copies.
std::optional<CopyName> parse_copy_name(std::string_view name);

// The tensor a view-named tensor is a view of: "k-0 (view) (permuted)" -> "k-0". Also cut
// suffixes ("cache_k_l0 (vi").
std::string view_base(std::string_view name);

// llama.cpp's user inputs (ggml_set_input): inp_*, masks, KV indices.
bool looks_like_user_input(std::string_view name);
// Model weights: "*.weight", "*.bias", token_embd, output.
bool looks_like_weight(std::string_view name);
// The KV cache: cache_k_l0, k_cache_view-0, ...
bool looks_like_kv_cache(std::string_view name);

// Node lines print names with "%20.20s": a name of 20 characters may be the start of a longer one.
inline constexpr std::size_t kPrintedNameWidth = 20;
bool may_be_cut(std::string_view printed);
// `printed` is `full` as a node line would print it.
bool printed_as(std::string_view printed, std::string_view full);

}  // namespace schedcheck::import
