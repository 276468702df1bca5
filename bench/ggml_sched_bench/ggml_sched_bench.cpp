// ggml_sched_bench: ggml's real scheduler (ggml_backend_sched) over ggml's own CUDA backend,
// driven like llama.cpp's decode loop; host time per ubatch, ubatches per second, and every
// ubatch's logits checked against a ggml-cpu reference. Built against an installed ggml
// (find_package(ggml)); run against two trees and paired with `summarize`
// (docs/upstream-patch.md, "GPU speed measurement").
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "errors.hpp"
#include "json_line.hpp"
#include "options.hpp"
#include "session.hpp"
#include "summarize.hpp"

namespace {

// JSON lines go to stdout, or are appended to --out; flushed line by line (a reader pairs them).
class Sink {
 public:
  explicit Sink(const std::string& path) {
    if (path.empty()) return;
    file_.open(path, std::ios::app);
    if (!file_) throw gsb::UsageError("--out: cannot open " + path + " for appending");
  }
  void line(const std::string& s) {
    std::ostream& o = file_.is_open() ? static_cast<std::ostream&>(file_) : std::cout;
    o << s << std::endl;
  }

 private:
  std::ofstream file_;
};

int run(const gsb::Options& o) {
  Sink sink(o.out_path);
  gsb::Session session(o);
  long long corrupted_total = 0;
  for (int r = o.first_round; r < o.first_round + o.rounds; ++r) {
    for (const std::string& s : o.scenarios) {
      int corrupted = 0;
      sink.line(session.round(s, r, corrupted));
      corrupted_total += corrupted;
    }
  }
  if (corrupted_total > 0)
    std::cerr << "# " << corrupted_total << " corrupted ubatch(es)" << std::endl;
  return corrupted_total > 0 ? 1 : 0;
}

// One round per command line: "round SCENARIO R"; "quit" (or end of input) ends. A bad command
// answers an error line and the loop goes on (the driving script waits for one line each).
int serve(const gsb::Options& o) {
  Sink sink(o.out_path);
  gsb::Session session(o);
  const std::vector<std::string>& known = o.scenarios;
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream words(line);
    std::string verb, scenario, rest;
    int round = -1;
    words >> verb;
    if (verb.empty()) continue;
    if (verb == "quit") break;
    words >> scenario >> round;
    const bool listed = std::find(known.begin(), known.end(), scenario) != known.end();
    if (verb != "round" || !words || round < 0 || (words >> rest) || !listed) {
      sink.line(gsb::JsonWriter()
                    .add("tree", o.tree)
                    .add("status", "error")
                    .add("reason",
                         "expected 'round SCENARIO R' with a scenario of --scenario "
                         "and R >= 0, got '" +
                             line + "'")
                    .line());
      continue;
    }
    int corrupted = 0;
    sink.line(session.round(scenario, round, corrupted));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const gsb::Options o = gsb::parse_options(argc, argv);
    switch (o.mode) {
      case gsb::Mode::help:
        std::cout << gsb::usage();
        return 0;
      case gsb::Mode::summarize:
        return gsb::summarize(o.files, o.base, std::cout);
      case gsb::Mode::run:
        return run(o);
      case gsb::Mode::serve:
        return serve(o);
    }
  } catch (const gsb::UsageError& e) {
    std::cerr << "ggml_sched_bench: " << e.what() << std::endl;
    return 2;
  } catch (const gsb::DeviceError& e) {
    std::cerr << "ggml_sched_bench: " << e.what() << std::endl;
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "ggml_sched_bench: " << e.what() << std::endl;
    return 4;
  }
  return 0;
}
