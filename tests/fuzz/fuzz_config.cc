// libFuzzer target: the YAML declaration loader. The input is an image file
// in a scratch project (with one layer and one board it may name); loading
// and validating must give an image or a located error.
#include <filesystem>
#include <fstream>

#include "cairn/config/loader.h"
#include "cairn/config/validate.h"
#include "fuzz_input.h"

namespace {

namespace fs = std::filesystem;

// A project a fuzzed image can refer to: layers/base.yaml, boards/pc.yaml.
const fs::path& Project() {
  static const fs::path dir = [] {
    fs::path p = cairn::fuzz::ScratchDir() / "project";
    fs::create_directories(p / "layers");
    fs::create_directories(p / "boards");
    fs::create_directories(p / "images");
    std::ofstream(p / "layers" / "base.yaml") << "packages: {apk: [busybox]}\n";
    std::ofstream(p / "boards" / "pc.yaml")
        << "arch: x86_64\nbootloader: {type: systemd-boot}\n"
           "kernel: {flavour: cloud-amd64, cmdline: [rw]}\n"
           "layout:\n  table: gpt\n  partitions:\n"
           "    - {role: esp, size: 64M, filesystem: vfat}\n"
           "    - {role: root, size: 1G, filesystem: ext4}\n";
    return p;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  const fs::path file = Project() / "images" / "fuzz.yaml";
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (auto image = config::LoadImage(file); image.ok()) (void)config::Validate(*image);
  return 0;
}
