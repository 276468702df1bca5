// The timeline page in a real browser (headless Chromium): it loads without a console message,
// its lanes, boxes and missing edges are in the DOM, and a screenshot shows the racing pair in
// the race colour (boxes of that colour found by content), which a clean run's screenshot does
// not have. Skipped when chromium is not installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"

#ifdef SCHEDCHECK_HAVE_PNG
#include <png.h>
#endif

namespace schedcheck::testing {
namespace {

namespace fs = std::filesystem;

std::string chromium() {
  const CommandResult r = run_shell("command -v chromium || command -v chromium-browser");
  return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "";
}

struct Browser {
  std::string binary;
  fs::path dir;

  // A headless run with a profile of its own; stderr carries Chromium's log (console included).
  CommandResult run(const std::string& args, const fs::path& page) const {
    return run_shell("timeout 120 '" + binary +
                     "' --headless --no-sandbox --disable-gpu --hide-scrollbars "
                     "--enable-logging=stderr --v=0 --user-data-dir='" +
                     (dir / "profile").string() + "' " + args + " 'file://" + page.string() + "'");
  }
};

std::size_t occurrences_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The timeline of two-gpu-pp under `policy`, written by the command.
fs::path write_page(const fs::path& dir, const std::string& policy, int exit_code) {
  const fs::path page = dir / (policy + ".html");
  fs::remove(page);
  const CommandResult r = run_schedcheck("replay '" + canonical_path("two-gpu-pp") + "' --policy " +
                                         policy + " --timeline '" + page.string() + "'");
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  return page;
}

class TimelineInChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    browser_.binary = chromium();
    if (browser_.binary.empty())
      GTEST_SKIP() << "chromium is not installed (scripts/run-tests.sh installs it)";
    browser_.dir = scratch_dir("timeline-chromium");
  }
  void TearDown() override {
    if (!browser_.dir.empty()) fs::remove_all(browser_.dir);
  }
  Browser browser_;
};

TEST_F(TimelineInChromium, ThePageLoadsWithoutConsoleMessagesAndHasItsElements) {
  const fs::path page = write_page(browser_.dir, "ggml-17795", 1);
  const CommandResult r = browser_.run("--dump-dom", page);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The page has no script: any console line (an error, a warning) is a fault of the page.
  EXPECT_EQ(r.err.find("CONSOLE"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Uncaught"), std::string::npos) << r.err;
  for (const char* element :
       {"<svg class=\"plot\"", ">HOST</text>", ">CUDA0</text>", ">CUDA1</text>",
        "CUDA per-thread stream (device 0)", "class=\"edge e-missing\"", "class=\"edge e-event\"",
        "hl-race", "[7] WRITE-AFTER-READ race [H1]"})
    EXPECT_NE(r.out.find(element), std::string::npos) << element;
  EXPECT_GT(occurrences_of(r.out, "<g class=\"box "), 150u);
}

#ifdef SCHEDCHECK_HAVE_PNG

struct Image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;
};

Image read_png(const fs::path& file) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  Image image;
  if (!png_image_begin_read_from_file(&png, file.c_str())) {
    ADD_FAILURE() << file << ": " << png.message;
    return image;
  }
  png.format = PNG_FORMAT_RGB;
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  image.rgb.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, image.rgb.data(), 0, nullptr))
    ADD_FAILURE() << file << ": " << png.message;
  return image;
}

// Pixels of the race colour (#d62728, within anti-aliasing's reach).
std::vector<bool> race_pixels(const Image& image) {
  std::vector<bool> race(static_cast<std::size_t>(image.width) * image.height);
  for (std::size_t i = 0; i < race.size(); ++i) {
    const unsigned char* p = &image.rgb[3 * i];
    race[i] =
        std::abs(p[0] - 0xd6) <= 8 && std::abs(p[1] - 0x27) <= 8 && std::abs(p[2] - 0x28) <= 8;
  }
  return race;
}

// Boxes drawn in the race colour: connected areas of it at least min_width wide and min_height
// tall with a row of min_width (the legend's swatch, the finding marks and the dashes of missing
// edges are smaller; a box's label leaves its sides connected).
int race_boxes(const Image& image, int min_width, int min_height) {
  const std::vector<bool> race = race_pixels(image);
  std::vector<bool> left = race;
  const auto at = [&](int x, int y) { return static_cast<std::size_t>(y) * image.width + x; };
  int boxes = 0;
  for (std::size_t start = 0; start < left.size(); ++start) {
    if (!left[start]) continue;
    int x0 = image.width, x1 = -1, y0 = image.height, y1 = -1, widest_row = 0;
    std::vector<std::size_t> stack{start};
    left[start] = false;
    while (!stack.empty()) {
      const std::size_t p = stack.back();
      stack.pop_back();
      const int x = static_cast<int>(p % image.width), y = static_cast<int>(p / image.width);
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
      for (const auto& [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
        const int nx = x + dx, ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= image.width || ny >= image.height || !left[at(nx, ny)])
          continue;
        left[at(nx, ny)] = false;
        stack.push_back(at(nx, ny));
      }
    }
    // The widest run of the colour in one row of the area's bounding box.
    for (int y = y0; y <= y1; ++y)
      for (int x = x0, run = 0; x <= x1; ++x) {
        run = race[at(x, y)] ? run + 1 : 0;
        widest_row = std::max(widest_row, run);
      }
    boxes += x1 - x0 + 1 >= min_width && y1 - y0 + 1 >= min_height && widest_row >= min_width;
  }
  return boxes;
}

std::size_t count(const std::vector<bool>& pixels) {
  return static_cast<std::size_t>(std::count(pixels.begin(), pixels.end(), true));
}

TEST_F(TimelineInChromium, AScreenshotShowsTheRacingPairInTheRaceColourAndACleanRunNone) {
  const fs::path racy = write_page(browser_.dir, "ggml-17795", 1);
  const fs::path clean = write_page(browser_.dir, "ggml-20793", 0);
  const fs::path racy_png = browser_.dir / "racy.png", clean_png = browser_.dir / "clean.png";
  for (const auto& [page, png] : {std::pair{racy, racy_png}, {clean, clean_png}}) {
    const CommandResult r =
        browser_.run("--window-size=1600,1000 --screenshot='" + png.string() + "'", page);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(fs::exists(png)) << r.err;
  }
  const Image racy_image = read_png(racy_png), clean_image = read_png(clean_png);
  ASSERT_EQ(racy_image.width, 1600);
  // A box is 68 by 32 px; the page shows several racing pairs in its first 1600 px.
  EXPECT_GE(race_boxes(racy_image, 50, 24), 2);
  EXPECT_EQ(count(race_pixels(clean_image)), 0u);
}

#else

TEST_F(TimelineInChromium, AScreenshotShowsTheRacingPairInTheRaceColourAndACleanRunNone) {
  GTEST_SKIP() << "libpng was not found when this test was built (Debian: libpng-dev)";
}

#endif

}  // namespace
}  // namespace schedcheck::testing
