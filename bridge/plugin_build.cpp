#include "bridge/plugin_build.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bridge/content_hash.hpp"
#include "bridge/ggml_cmake_build.hpp"
#include "bridge/plugin_abi.hpp"
#include "bridge/plugin_sources.hpp"
#include "bridge/process.hpp"
#include "bridge/real_scheduler.hpp"

#ifndef SCHEDCHECK_CXX_COMPILER
#define SCHEDCHECK_CXX_COMPILER "c++"
#endif

namespace schedcheck {
namespace fs = std::filesystem;

namespace {

std::string compiler() {
  const char* env = std::getenv("SCHEDCHECK_PLUGIN_CXX");
  return env && *env ? env : SCHEDCHECK_CXX_COMPILER;
}

// Writes the embedded plugin sources under dir (once per content).
fs::path plugin_source_dir() {
  ContentHash h;
  for (const EmbeddedFile& f : plugin_sources()) h.add(f.path).add(f.text);
  const fs::path dir = cache_dir() / "plugin-src" / h.hex();
  if (fs::exists(dir / "complete")) return dir;
  const fs::path tmp = dir.string() + ".tmp" + std::to_string(getpid());
  for (const EmbeddedFile& f : plugin_sources()) {
    fs::create_directories((tmp / f.path).parent_path());
    std::ofstream(tmp / f.path, std::ios::binary) << f.text;
  }
  std::ofstream(tmp / "complete") << "";
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp);
  return dir;
}

struct Unit {
  Unit(fs::path path, bool c, bool copies = false)
      : source(std::move(path)), is_c(c), per_copies(copies) {}
  fs::path source;
  bool is_c = false;
  bool per_copies = false;  // depends on GGML_SCHED_MAX_COPIES
  std::string key;
  fs::path object;
};

std::vector<std::string> flags(const GgmlTree& tree, const fs::path& plugin_src, const Unit& u,
                               int max_copies) {
  std::vector<std::string> f = {"-O2",
                                "-fPIC",
                                "-fvisibility=hidden",
                                "-fexceptions",
                                "-w",
                                "-DNDEBUG",
                                "-D_GNU_SOURCE",
                                "-D_XOPEN_SOURCE=700",
                                "-DGGML_VERSION=\"schedcheck-bridge\"",
                                "-DGGML_COMMIT=\"" + tree.label + "\"",
                                "-I" + (tree.root / "include").string(),
                                "-I" + (tree.root / "src").string(),
                                "-I" + plugin_src.string()};
  if (u.per_copies) f.push_back("-DGGML_SCHED_MAX_COPIES=" + std::to_string(max_copies));
  if (tree.devices == "ggml-cuda" && u.source.filename() == "proxy_devices.cpp")
    f.push_back("-DSCHEDCHECK_PROXY_CUDA");
  if (u.is_c) {
    f.insert(f.begin(), {"-x", "c", "-std=c11"});
  } else {
    f.insert(f.begin(), "-std=c++17");
  }
  return f;
}

std::string headers_hash(const GgmlTree& tree) {
  ContentHash h;
  for (const fs::path& dir : {tree.root / "include", tree.root / "src"}) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && (e.path().extension() == ".h" || e.path().extension() == ".hpp"))
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) h.add(p.filename().string()).add(read_file(p));
  }
  return h.hex();
}

// The translation units of a tree's plugin, each with its cache key and object path.
std::vector<Unit> plugin_units(const GgmlTree& tree, const fs::path& plugin_src, int max_copies,
                               ContentHash& library_key) {
  const fs::path src = tree.root / "src";
  std::vector<Unit> units;
  for (const char* c : {"ggml.c", "ggml-alloc.c", "ggml-quants.c"})
    units.emplace_back(src / c, true);
  for (const char* c : {"ggml.cpp", "ggml-threading.cpp", "ggml-backend-meta.cpp"})
    if (fs::exists(src / c)) units.emplace_back(src / c, false);
  std::vector<const char*> own = {"tensor_names.cpp",  "lowering.cpp",      "op_lowering.cpp",
                                  "tensor_values.cpp", "graph_builder.cpp", "plugin_scheduler.cpp",
                                  "meta_backend.cpp",  "meta_graph.cpp"};
  if (tree.devices == "simulated") {
    own.insert(own.end(), {"sim_devices.cpp", "sim_buffers.cpp"});
  } else {  // ggml's own backends, linked from their CMake build
    own.insert(own.end(),
               {"proxy_devices.cpp", "proxy_calls.cpp", "queue_hold.cpp", "reference_graph.cpp"});
  }
  for (const char* p : own) units.emplace_back(plugin_src / "bridge" / "plugin" / p, false);
  // Includes the tree's ggml-backend.cpp, built with the scenario's GGML_SCHED_MAX_COPIES.
  units.emplace_back(plugin_src / "bridge" / "plugin" / "sched_state.cpp", false, true);

  const std::string headers = headers_hash(tree);
  const std::string backend_cpp = read_file(src / "ggml-backend.cpp");
  const fs::path objects = cache_dir() / "objects";
  fs::create_directories(objects);
  for (Unit& u : units) {
    ContentHash h;
    h.add(compiler()).add(headers).add(read_file(u.source)).add(u.source.filename().string());
    for (const std::string& f : flags(tree, plugin_src, u, max_copies))
      if (f.rfind("-I", 0) != 0 && f.rfind("-DGGML_COMMIT", 0) != 0) h.add(f);
    if (u.per_copies) h.add(backend_cpp);
    for (const EmbeddedFile& f : plugin_sources())
      if (f.path.find(".hpp") != std::string_view::npos) h.add(f.text);
    u.key = h.hex();
    u.object = objects / (u.source.stem().string() + "-" + u.key + ".o");
    library_key.add(u.key);
  }
  return units;
}

// Compiles the units whose objects are not cached, on every core. Throws with the log's tail.
void compile(const GgmlTree& tree, const fs::path& plugin_src, int max_copies,
             const std::vector<Unit*>& missing) {
  std::atomic<std::size_t> next{0};
  std::vector<std::string> errors(missing.size());
  auto worker = [&] {
    for (std::size_t i; (i = next++) < missing.size();) {
      Unit& u = *missing[i];
      const fs::path tmp =
          u.object.string() + ".tmp" + std::to_string(getpid()) + "-" + std::to_string(i);
      const fs::path log = u.object.string() + ".log";
      std::vector<std::string> argv = {compiler()};
      for (std::string& f : flags(tree, plugin_src, u, max_copies)) argv.push_back(std::move(f));
      argv.insert(argv.end(), {"-c", u.source.string(), "-o", tmp.string()});
      if (run_process(argv, log) != 0) {
        errors[i] = u.source.string() + " does not compile:\n" + log_tail(log);
        continue;
      }
      std::error_code ec;
      fs::rename(tmp, u.object, ec);  // another process may have put it there first
    }
  };
  const unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < std::min<std::size_t>(jobs, missing.size()); ++j)
    threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors)
    if (!e.empty()) {
      std::cerr << " failed\n";
      throw BridgeError(tree.label + ": " + e);
    }
}

void link(const GgmlTree& tree, const std::vector<Unit>& units,
          const GgmlBackendLibraries& backends, const fs::path& library) {
  const fs::path tmp = library.string() + ".tmp" + std::to_string(getpid());
  std::vector<std::string> argv = {compiler(), "-shared", "-o", tmp.string()};
  for (const Unit& u : units) argv.push_back(u.object.string());
  for (const fs::path& a : backends.archives) argv.push_back(a.string());
  argv.insert(argv.end(), backends.link_flags.begin(), backends.link_flags.end());
  argv.insert(argv.end(), {"-Wl,--no-undefined", "-lpthread", "-ldl", "-lm"});
  const fs::path log = library.string() + ".log";
  if (run_process(argv, log) != 0) {
    std::cerr << " failed\n";
    throw BridgeError(tree.label + ": linking the plugin failed:\n" + log_tail(log));
  }
  std::error_code ec;
  fs::rename(tmp, library, ec);
}

}  // namespace

PluginBuild build_plugin(const GgmlTree& tree, int max_copies) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path plugin_src = plugin_source_dir();
  GgmlBackendLibraries backends;
  if (tree.devices != "simulated")
    backends = build_ggml_backends(tree, tree.devices == "ggml-cuda");
  ContentHash library_key;
  library_key.add(std::to_string(bridge::kAbiVersion))
      .add(compiler())
      .add(tree.devices)
      .add(backends.key);
  std::vector<Unit> units = plugin_units(tree, plugin_src, max_copies, library_key);
  PluginBuild result;
  const fs::path libraries = cache_dir() / "plugins";
  fs::create_directories(libraries);
  result.library = libraries / ("ggml-bridge-" + library_key.hex() + ".so");
  if (fs::exists(result.library)) return result;

  std::vector<Unit*> missing;
  for (Unit& u : units)
    if (!fs::exists(u.object)) missing.push_back(&u);
  std::cerr << "schedcheck: building " << tree.label << " (GGML_SCHED_MAX_COPIES=" << max_copies
            << ", " << missing.size() << " of " << units.size() << " files to compile) ..."
            << std::flush;
  compile(tree, plugin_src, max_copies, missing);
  link(tree, units, backends, result.library);
  result.built = true;
  result.objects_compiled = static_cast<int>(missing.size());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char done[64];
  std::snprintf(done, sizeof done, " done in %.1f s\n", result.seconds);
  std::cerr << done;
  return result;
}

}  // namespace schedcheck
