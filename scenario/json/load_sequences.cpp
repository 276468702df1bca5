// "driver.sequences": llama.cpp's parallel sequences over the KV cache.
#include "scenario/json/scenario_loader.hpp"

#include <algorithm>

#include "scenario/json/limits.hpp"
#include "scenario/kv_sequences.hpp"

namespace schedcheck::json_format {

void ScenarioLoader::load_sequences(const Json& j, const std::string& p) {
  object(j, p, {"count", "unified_kv", "per_ubatch"});
  SequenceConfig& seq = scenario_.driver.sequences;
  seq.count = small_int(required(j, p, "count"), at(p, "count"), 1, kMaxSequences);
  if (const Json* u = optional(j, "unified_kv")) seq.unified_kv = boolean(*u, at(p, "unified_kv"));
  if (const Json* per = optional(j, "per_ubatch")) {
    const std::string pp = at(p, "per_ubatch");
    array(*per, pp);
    if (per->empty()) fail(pp, "expected at least one list of sequences (or leave it out: all)");
    for (std::size_t e = 0; e < per->size(); ++e) {
      const std::string ep = at(pp, e);
      const Json& ids = array((*per)[e], ep);
      if (ids.empty()) fail(ep, "expected at least one sequence: a ubatch holds tokens");
      std::vector<int> seqs;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const Json& id = ids[i];
        if (id.is_number_unsigned() && id.get<uint64_t>() >= static_cast<uint64_t>(seq.count))
          fail(at(ep, i), "sequence " + std::to_string(id.get<uint64_t>()) +
                              " is out of range: \"count\" is " + std::to_string(seq.count) +
                              " (sequences 0 .. " + std::to_string(seq.count - 1) + ")");
        const int s = small_int(id, at(ep, i), 0, static_cast<uint64_t>(seq.count) - 1);
        if (std::find(seqs.begin(), seqs.end(), s) != seqs.end())
          fail(at(ep, i), "sequence " + std::to_string(s) + " is listed twice");
        seqs.push_back(s);
      }
      seq.per_ubatch.push_back(std::move(seqs));
    }
  }
  // Every KV tensor (a persistent tensor that a node writes) holds `count` equal ranges of cells.
  const std::vector<bool> kv = kv_partitioned_tensors(scenario_);
  for (std::size_t t = 0; t < kv.size(); ++t) {
    const uint64_t size = scenario_.tensors[t].size;
    if (kv[t] && size % static_cast<uint64_t>(seq.count) != 0)
      fail(at(p, "count"), "KV tensor " + in_quotes(scenario_.tensors[t].name) + " of size " +
                               std::to_string(size) + " cannot hold " + std::to_string(seq.count) +
                               " sequences' cells: its size must be a multiple of the count");
  }
}

}  // namespace schedcheck::json_format
