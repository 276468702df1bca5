#include "bridge/ggml_cmake_build.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bridge/content_hash.hpp"
#include "bridge/file_lock.hpp"
#include "bridge/process.hpp"
#include "bridge/real_scheduler.hpp"

namespace schedcheck {
namespace fs = std::filesystem;

namespace {

// Every file the backends' build reads, by content: a folder tree that changes is rebuilt.
void add_tree(ContentHash& h, const fs::path& root, bool cuda) {
  std::vector<fs::path> files;
  for (const char* dir : {"include", "cmake", "src/ggml-cpu", "src/ggml-cuda"}) {
    if (!cuda && std::string_view(dir) == "src/ggml-cuda") continue;
    if (!fs::exists(root / dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root / dir))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  for (const char* f : {"CMakeLists.txt", "src/CMakeLists.txt"}) files.push_back(root / f);
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) h.add(fs::relative(p, root).string()).add(read_file(p));
}

std::string find_nvcc() {
  if (const char* cuda = std::getenv("CUDACXX"); cuda && *cuda) return cuda;
  for (const char* p : {"/usr/local/cuda/bin/nvcc", "/usr/bin/nvcc"})
    if (fs::exists(p)) return p;
  return "";
}

std::string cache_value(const fs::path& cache, const std::string& key) {
  std::ifstream in(cache);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return line.substr(line.find('=') + 1);
  return "";
}

fs::path find_archive(const fs::path& build, const std::string& name) {
  for (const auto& e : fs::recursive_directory_iterator(build))
    if (e.is_regular_file() && e.path().filename() == name) return e.path();
  return {};
}

}  // namespace

GgmlBackendLibraries build_ggml_backends(const GgmlTree& tree, bool cuda) {
  const char* env_arch = std::getenv("SCHEDCHECK_CUDA_ARCHITECTURES");
  const std::string arch = env_arch && *env_arch ? env_arch : "native";
  const std::string nvcc = cuda ? find_nvcc() : "";
  if (cuda && nvcc.empty())
    throw BridgeError(tree.label +
                      ": ggml-cuda needs nvcc (not in /usr/local/cuda/bin; set CUDACXX)");
  std::vector<std::string> options = {"-DCMAKE_BUILD_TYPE=Release",
                                      "-DBUILD_SHARED_LIBS=OFF",
                                      "-DCMAKE_POSITION_INDEPENDENT_CODE=ON",
                                      "-DGGML_NATIVE=OFF",
                                      "-DGGML_OPENMP=OFF",
                                      "-DGGML_BUILD_TESTS=OFF",
                                      "-DGGML_BUILD_EXAMPLES=OFF",
                                      "-DGGML_CUDA=" + std::string(cuda ? "ON" : "OFF")};
  if (cuda)
    options.insert(options.end(),
                   {"-DCMAKE_CUDA_COMPILER=" + nvcc, "-DCMAKE_CUDA_ARCHITECTURES=" + arch,
                    "-DGGML_CUDA_FA=OFF", "-DGGML_CUDA_GRAPHS=ON", "-DGGML_CUDA_NCCL=OFF"});
  ContentHash h;
  add_tree(h, tree.root, cuda);
  for (const std::string& o : options) h.add(o);
  GgmlBackendLibraries out;
  out.key = h.hex();
  const fs::path dir = cache_dir() / "ggml-backends" / out.key;
  const fs::path build = dir / "build";
  out.build = build;
  fs::create_directories(dir);
  const FileLock lock(dir / "lock");
  if (!fs::exists(dir / "complete")) {
    const auto start = std::chrono::steady_clock::now();
    std::cerr << "schedcheck: building ggml's " << (cuda ? "ggml-cpu and ggml-cuda" : "ggml-cpu")
              << " of " << tree.label << " with CMake (once) ..." << std::flush;
    const fs::path log = dir / "build.log";
    std::vector<std::string> configure = {"cmake", "-S", tree.root.string(), "-B", build.string()};
    if (run_process({"ninja", "--version"}, dir / "ninja.log") == 0)
      configure.insert(configure.end(), {"-G", "Ninja"});
    configure.insert(configure.end(), options.begin(), options.end());
    const std::string jobs = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::string> make = {"cmake", "--build",  build.string(), "-j",
                                     jobs,    "--target", "ggml-cpu"};
    if (cuda) make.push_back("ggml-cuda");
    if (run_process(configure, log) != 0 || run_process(make, dir / "make.log") != 0) {
      std::cerr << " failed\n";
      const fs::path failed = fs::exists(dir / "make.log") ? dir / "make.log" : log;
      throw BridgeError(tree.label + ": building ggml's backends failed (" + failed.string() +
                        "):\n" + log_tail(failed, 20));
    }
    std::ofstream(dir / "complete") << "";
    char done[64];
    std::snprintf(done, sizeof done, " done in %.0f s\n",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::cerr << done;
  }
  for (const char* lib : {"libggml-cuda.a", "libggml-cpu.a", "libggml-base.a"}) {
    if (!cuda && std::string_view(lib) == "libggml-cuda.a") continue;
    const fs::path a = find_archive(build, lib);
    if (a.empty())
      throw BridgeError(tree.label + ": the CMake build has no " + lib + " (" + build.string() +
                        ")");
    out.archives.push_back(a);
  }
  if (cuda) {
    std::string libdir = cache_value(build / "CMakeCache.txt", "CUDAToolkit_LIBRARY_DIR");
    if (libdir.empty()) libdir = (fs::path(nvcc).parent_path().parent_path() / "lib64").string();
    out.link_flags = {"-L" + libdir, "-Wl,-rpath," + libdir, "-lcudart", "-lcublas", "-lcublasLt"};
    // libcuda: at link time the toolkit's placeholder in lib64/stubs where the machine has no
    // driver; at run time the driver's own libcuda.so.1 (without one the plugin does not load).
    out.link_flags.push_back("-L" + libdir + "/stubs");
    out.link_flags.push_back("-lcuda");
  }
  return out;
}

fs::path install_ggml(const GgmlTree& tree) {
  const GgmlBackendLibraries libs = build_ggml_backends(tree, false);
  const fs::path dir = libs.build.parent_path();
  const fs::path prefix = dir / "prefix";
  const FileLock lock(dir / "lock");
  if (fs::exists(prefix / "complete")) return prefix;
  const std::vector<std::vector<std::string>> steps = {
      {"cmake", "--build", libs.build.string(), "--target", "ggml"},
      {"cmake", "--install", libs.build.string(), "--prefix", prefix.string()}};
  for (const auto& argv : steps) {
    const fs::path log = dir / ("install-" + argv[1].substr(2) + ".log");  // install-build.log, ...
    if (run_process(argv, log) != 0)
      throw BridgeError(tree.label + ": installing ggml failed (" + log.string() + "):\n" +
                        log_tail(log, 20));
  }
  std::ofstream(prefix / "complete") << "";
  return prefix;
}

}  // namespace schedcheck
