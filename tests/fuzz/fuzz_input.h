// Helpers for the libFuzzer targets: inputs that must be files (package
// readers, the YAML loader) go to a per-process scratch directory.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace cairn::fuzz {

/// A directory of this process under $TMPDIR (or /tmp), made on first use.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path p = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
                              ("cairn-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p;
  }();
  return dir;
}

/// Writes the input to `name` in the scratch directory and returns its path.
inline std::filesystem::path WriteInput(const std::string& name, const uint8_t* data,
                                        size_t size) {
  std::filesystem::path p = ScratchDir() / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace cairn::fuzz
