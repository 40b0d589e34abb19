// What binutils says about a PE file, as the independent check of the UKI
// tests: `objdump -h` (sections), `objdump -p` (headers) and
// `objcopy -O binary --only-section` (a section's bytes). aarch64 PE files
// need binutils-aarch64-linux-gnu's tools: the host binutils do not know
// pei-aarch64-little.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/subprocess.h"
#include "support/test_support.h"
#include "unit/output/initramfs/debian_inputs.h"

namespace cairn::uki::testing_objdump {

namespace fs = std::filesystem;

/// "objdump" / "aarch64-linux-gnu-objdump" (tool = "objdump" or "objcopy").
inline std::string Binutil(const std::string& arch, const std::string& tool) {
  return arch == "aarch64" ? "aarch64-linux-gnu-" + tool : tool;
}

/// True when the binutils for `arch` are installed; a FAIL naming the package otherwise.
inline bool HaveBinutils(const std::string& arch) {
  for (const char* tool : {"objdump", "objcopy"})
    if (!FindProgram(Binutil(arch, tool))) {
      FAIL("'" << Binutil(arch, tool) << "' is not installed (Debian package '"
               << (arch == "aarch64" ? "binutils-aarch64-linux-gnu" : "binutils") << "')");
      return false;
    }
  return true;
}

struct DumpedSection {
  std::string name;
  uint64_t size = 0;
  uint64_t vma = 0;
  std::string flags;  // "CONTENTS, ALLOC, LOAD, READONLY, CODE"
};

/// The sections `objdump -h` lists, in its order.
inline std::vector<DumpedSection> Sections(const std::string& arch, const fs::path& file) {
  auto r = testing::RunCommand({Binutil(arch, "objdump"), "-h", file.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<DumpedSection> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string idx, name, size, vma;
    if (!(words >> idx >> name >> size >> vma) ||
        idx.find_first_not_of("0123456789") != std::string::npos)
      continue;
    DumpedSection s{name, std::stoull(size, nullptr, 16), std::stoull(vma, nullptr, 16), ""};
    if (std::getline(in, line)) s.flags = line.substr(line.find_first_not_of(' '));
    out.push_back(s);
  }
  return out;
}

/// `objdump -p`'s header fields, by name: "SectionAlignment" -> "00000200", "Time/Date" -> "Thu Jan
/// ...".
inline std::map<std::string, std::string> Headers(const std::string& arch, const fs::path& file) {
  auto r = testing::RunCommand({Binutil(arch, "objdump"), "-p", file.string()}, {"TZ=UTC"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || line.find(' ') < tab) continue;
    std::string value = line.substr(line.find_first_not_of('\t', tab));
    out.emplace(line.substr(0, tab), value.substr(0, value.find('\t')));
  }
  return out;
}

inline uint64_t Hex(const std::map<std::string, std::string>& headers, const std::string& key) {
  auto it = headers.find(key);
  INFO(key);
  REQUIRE(it != headers.end());
  return std::stoull(it->second, nullptr, 16);
}

/// A section's bytes as `objcopy -O binary --only-section` extracts them.
inline std::string SectionBytes(const std::string& arch, const fs::path& file,
                                const std::string& section, const fs::path& scratch) {
  fs::path out = scratch / ("section" + section);
  auto r = testing::RunCommand({Binutil(arch, "objcopy"), "-O", "binary", "--only-section", section,
                                file.string(), out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return initramfs::testing_inputs::Slurp(out);
}

}  // namespace cairn::uki::testing_objdump
