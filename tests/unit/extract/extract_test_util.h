// Shared helpers for the extract tests: fixture paths, keyrings, byte-level
// file surgery for tamper tests.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/extract/keyring.h"
#include "support/test_support.h"

namespace cairn::extract::testing {

namespace fs = std::filesystem;

inline fs::path ApkFixtures() {
  return cairn::testing::SharedFixtures() / "apk-real/apko-testdata";
}
inline fs::path AlpineApk() {
  return ApkFixtures() / "alpine-v3.16-aarch64/alpine-baselayout-3.2.0-r23.apk";
}
inline const std::string kAlpineKey616 = "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub";
inline const std::string kAlpineKey6165 = "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub";
inline const std::string kAlpineKey4a6 = "alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub";

inline Keyring KeyringOf(const std::vector<fs::path>& files) {
  Keyring ring;
  for (const auto& f : files) {
    auto st = ring.AddFile(f);
    INFO(f.string());
    REQUIRE(st.ok());
  }
  return ring;
}

inline Keyring AlpineKeys() {
  auto ring = Keyring::LoadDirectory(ApkFixtures() / "alpine-keys");
  REQUIRE(ring.ok());
  return std::move(*ring);
}

inline Keyring MelangeKey() { return KeyringOf({ApkFixtures() / "melange-repo/melange.rsa.pub"}); }

inline std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void Spit(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

/// Copies `src` to `dst` with the byte at `offset` XOR 0x01.
inline void CopyFlipped(const fs::path& src, const fs::path& dst, size_t offset) {
  std::string bytes = Slurp(src);
  REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x01);
  Spit(dst, bytes);
}

/// Runs a command and requires exit status 0; returns stdout.
inline std::string MustRun(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env = {}) {
  auto r = cairn::testing::RunCommand(argv, env);
  INFO(argv[0] << " stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

}  // namespace cairn::extract::testing
