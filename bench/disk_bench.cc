// cairn-bench-disk: disk assembly, cairn against genimage, on the same root.
//
// A root tree of ~60 MB (3000 files of 1-25 KB in 60 directories, six of
// 4 MiB) and a small ESP go into a GPT disk with a 64 MiB vfat ESP and an
// ext4 root. cairn builds it from the in-memory tree (disk::WriteDiskImage:
// staging, mke2fs -d, the debugfs pass for owners and times, mkfs.vfat +
// mtools); genimage builds the same layout from the same files already
// staged in a directory (its input has to be one), with mke2fs. Each is run
// REPEAT times; the fastest counts. Prints both and the ratio (target: cairn
// at most 1.5x genimage).
//
//   cairn-bench-disk WORKDIR [REPEAT]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "cairn/disk/image.h"
#include "cairn/rootfs/tree.h"
#include "cairn/subprocess.h"
#include "output/disk/staging.h"

namespace fs = std::filesystem;
using namespace cairn;

namespace {

constexpr int64_t kEpoch = 1700000000;

std::string Payload(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>('a' + x % 26);
  }
  return s;
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "cairn-bench-disk: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Fail("usage: cairn-bench-disk WORKDIR [REPEAT]");
  const fs::path work = argv[1];
  const int repeat = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  fs::remove_all(work);
  fs::create_directories(work);
  auto store = rootfs::ContentStore::Create(work);
  if (!store.ok()) return Fail(store.error().Render());
  rootfs::Tree root(**store), esp(**store);
  uint64_t total = 0;
  for (int d = 0; d < 60; ++d)
    for (int f = 0; f < 50; ++f) {
      size_t size = (d * 50 + f) % 500 == 0 ? 4 << 20 : 1000 + ((d * 7919 + f * 104729) % 24000);
      auto st = root.AddFile(fmt::format("usr/share/d{:02}/file{:03}", d, f),
                             Payload(size, static_cast<uint32_t>(d * 50 + f)), 0644, 0, 0, kEpoch);
      if (!st.ok()) return Fail(st.error().Render());
      total += size;
    }
  for (const char* f : {"EFI/BOOT/BOOTX64.EFI", "vmlinuz", "initrd.img", "loader/loader.conf"}) {
    auto st = esp.AddFile(f, Payload(f[0] == 'v' ? 8 << 20 : 100000, 7), 0644, 0, 0, kEpoch);
    if (!st.ok()) return Fail(st.error().Render());
  }

  disk::DiskLayout layout;
  layout.partitions = {
      {.name = "esp", .role = disk::PartitionRole::kEsp, .filesystem = disk::Filesystem::kVfat,
       .size = disk::PartitionSize::Fixed(64 * disk::kMiB), .label = "ESP"},
      {.name = "root", .role = disk::PartitionRole::kRoot, .filesystem = disk::Filesystem::kExt4,
       .size = disk::PartitionSize::Fixed(128 * disk::kMiB), .label = "root"},
  };
  double cairn_best = 1e9;
  for (int i = 0; i < repeat; ++i) {
    fs::remove(work / "cairn.img");
    auto t0 = std::chrono::steady_clock::now();
    auto plan = disk::WriteDiskImage(layout, {{"esp", {.tree = &esp}}, {"root", {.tree = &root}}},
                                     work / "cairn.img",
                                     {.epoch = kEpoch, .seed = "bench", .work_dir = work / "w"});
    if (!plan.ok()) return Fail(plan.error().Render());
    cairn_best = std::min(cairn_best, Since(t0));
  }

  // genimage's input: the same trees, staged once (not timed).
  const fs::path in = work / "genimage-root";
  fs::create_directories(in / "esp");
  fs::create_directories(in / "root");
  if (auto st = disk::internal::StageTree(root, in / "root", {.epoch = kEpoch}); !st.ok())
    return Fail(st.error().Render());
  if (auto st = disk::internal::StageTree(esp, in / "esp", {.epoch = kEpoch}); !st.ok())
    return Fail(st.error().Render());
  std::ofstream(work / "genimage.cfg") << R"(image esp.vfat {
  vfat { label = "ESP" files = { "esp/EFI", "esp/loader", "esp/vmlinuz", "esp/initrd.img" } }
  size = 64M
}
image root.ext4 { ext4 { label = "root" use-mke2fs = true } size = 128M mountpoint = "/root" }
image disk.img {
  hdimage { partition-table-type = "gpt" }
  partition esp { image = "esp.vfat" partition-type-uuid = "U" offset = 1M }
  partition root { image = "root.ext4" partition-type-uuid = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709" }
}
)";
  double genimage_best = 1e9;
  for (int i = 0; i < repeat; ++i) {
    fs::remove_all(work / "gi-out");
    fs::remove_all(work / "gi-tmp");
    ProcessOptions o{.argv = {"genimage", "--config", (work / "genimage.cfg").string(),
                              "--rootpath", in.string(), "--inputpath", in.string(),
                              "--outputpath", (work / "gi-out").string(), "--tmppath",
                              (work / "gi-tmp").string()}};
    auto t0 = std::chrono::steady_clock::now();
    auto r = RunProcess(o);
    if (!r.ok()) return Fail(r.error().Render());
    if (!r->ok()) return Fail(FailedProcessError(o, *r).Render());
    genimage_best = std::min(genimage_best, Since(t0));
  }
  std::printf("root tree: %zu nodes, %.1f MB; GPT, 64 MiB vfat ESP + 128 MiB ext4 root\n",
              root.nodes().size(), total / 1e6);
  std::printf("cairn (tree -> disk, rootless):      %.3f s\n", cairn_best);
  std::printf("genimage (staged directory -> disk): %.3f s\n", genimage_best);
  const double ratio = cairn_best / genimage_best;
  std::printf("ratio: %.2f (%s the <= 1.5 target)\n", ratio, ratio <= 1.5 ? "meets" : "MISSES");
  fs::remove_all(work);
  return 0;
}
