// Timing of a realistic disk build: a ~60 MB root tree of generated files
// (3000 files in 60 directories, a few large ones) into a GPT disk with a
// 64 MiB ESP and an auto-sized ext4 root. Hidden ([.]): run it with
//   unit_tests "[disk-bench]"
// It prints the wall time of each partition and the whole build; set
// CAIRN_DISK_BENCH_STAGE=<dir> to also write the trees there (root/, esp/)
// for comparing other tools (genimage) on the same input.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "output/disk/staging.h"
#include "unit/output/disk/disk_test_util.h"

namespace cairn::disk {
namespace {

using namespace testutil;

// Prints each step's duration, and when each tool starts (its argv at -vv).
class TimingReporter : public NullReporter {
 public:
  void StepEnd(std::string_view title, double seconds, bool) override {
    std::fprintf(stderr, "  %6.3f s  %.*s\n", seconds, static_cast<int>(title.size()), title.data());
  }
  void Debug(std::string_view message) override {
    double at = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "    at %6.3f s: %.60s\n", at, std::string(message).c_str());
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

TEST_CASE("disk build timing with a 60 MB root", "[.][disk-bench]") {
  testing::ScratchDir dir("disk-bench");
  auto store = std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree root(*store);
  rootfs::Tree esp(*store);
  FillEspTree(esp);
  uint64_t total = 0;
  for (int d = 0; d < 60; ++d) {
    for (int f = 0; f < 50; ++f) {
      // Mostly small files (like /usr/share), every 500th one large (like a library).
      size_t size = (d * 50 + f) % 500 == 0 ? 4 * kMiB : 1000 + ((d * 7919 + f * 104729) % 24000);
      REQUIRE(root.AddFile(fmt::format("usr/share/d{:02}/file{:03}", d, f),
                           Payload(size, static_cast<uint32_t>(d * 50 + f)), 0644, 0, 0, 1600000000)
                  .ok());
      total += size;
    }
  }
  DiskLayout layout;
  layout.partitions = {
      {.name = "esp", .role = PartitionRole::kEsp, .filesystem = Filesystem::kVfat,
       .size = PartitionSize::Fixed(64 * kMiB)},
      {.name = "root", .role = PartitionRole::kRoot, .filesystem = Filesystem::kExt4},
  };
  std::fprintf(stderr, "root tree: %zu nodes, %.1f MB\n", root.nodes().size(), total / 1e6);
  TimingReporter reporter;
  auto start = std::chrono::steady_clock::now();
  auto plan = WriteDiskImage(layout, {{"esp", {.tree = &esp}}, {"root", {.tree = &root}}},
                             dir.path() / "disk.img",
                             {.epoch = kEpoch, .seed = "bench", .work_dir = dir.path() / "work",
                              .reporter = &reporter});
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO((plan.ok() ? std::string() : plan.error().Render()));
  REQUIRE(plan.ok());
  std::fprintf(stderr, "total %.3f s for a %s disk (root %s)\n", seconds,
               FormatSize(plan->size).c_str(), FormatSize(plan->Find("root")->size).c_str());
  fs::path part = dir.path() / "root.ext4";
  ExtractRange(dir.path() / "disk.img", plan->Find("root")->offset, plan->Find("root")->size, part);
  CHECK(RunCommand({"e2fsck", "-fn", part.string()}).exit_code == 0);

  if (const char* stage = std::getenv("CAIRN_DISK_BENCH_STAGE")) {
    fs::create_directories(fs::path(stage) / "root");
    fs::create_directories(fs::path(stage) / "esp");
    auto t0 = std::chrono::steady_clock::now();
    REQUIRE(internal::StageTree(root, fs::path(stage) / "root", {.epoch = kEpoch}).ok());
    std::fprintf(stderr, "staging alone: %.3f s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    REQUIRE(internal::StageTree(esp, fs::path(stage) / "esp", {.epoch = kEpoch}).ok());
  }
}

}  // namespace
}  // namespace cairn::disk
