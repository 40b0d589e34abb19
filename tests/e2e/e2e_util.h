// Helpers for the end-to-end tests: run the real `cairn` binary and the
// independent tools (umoci, skopeo, jq, tar, openssl) that check its output,
// write declarations into scratch directories, and split or rewrite the gzip
// members of APK files (with zlib directly, not cairn's own reader).
//
// Header-only because tests/CMakeLists.txt compiles only e2e/*_test.cc.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/test_support.h"

namespace cairn::e2e {
namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCommand;
using testing::ScratchDir;
using testing::Tail;

inline fs::path CairnBinary() { return fs::path(CAIRN_BINARY); }
inline fs::path SourceDir() { return fs::path(CAIRN_SOURCE_DIR); }
inline fs::path DemoRepo() { return fs::path(CAIRN_BINARY_DIR) / "demo-repo"; }
inline fs::path DemoKey() { return DemoRepo() / "cairn-demo.rsa.pub"; }
inline fs::path ApkReal() { return testing::SharedFixtures() / "apk-real"; }

/// Runs cairn with `args`; env entries are "K=V" (added to the inherited environment).
inline CommandResult Cairn(const std::vector<std::string>& args,
                           const std::vector<std::string>& env = {}, const fs::path& cwd = {}) {
  std::vector<std::string> argv = {CairnBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, env, cwd);
}

/// Runs a shell command line (for pipes, umask and `env -u`).
inline CommandResult Sh(const std::string& script, const std::vector<std::string>& env = {},
                        const fs::path& cwd = {}) {
  return RunCommand({"sh", "-c", script}, env, cwd);
}

/// Quotes a word for sh.
inline std::string Q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

/// Lines of `text` without the newlines (and without a final empty line).
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// `jq -r FILTER FILE`; REQUIREs success and returns stdout without the last newline.
inline std::string Jq(const std::string& filter, const fs::path& file) {
  CommandResult r = RunCommand({"jq", "-r", filter, file.string()});
  INFO("jq " << filter << " " << file << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  std::string out = r.out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

/// The blob of "sha256:<hex>" in an OCI layout.
inline fs::path Blob(const fs::path& oci, const std::string& digest) {
  REQUIRE(digest.rfind("sha256:", 0) == 0);
  return oci / "blobs" / "sha256" / digest.substr(7);
}

/// True if `s` is exactly "sha256:" and 64 lowercase hex digits.
inline bool IsDigest(const std::string& s) {
  if (s.size() != 71 || s.rfind("sha256:", 0) != 0) return false;
  return std::all_of(s.begin() + 7, s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// Every regular file under `dir`, relative, mapped to its content.
inline std::map<std::string, std::string> TreeContents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = ReadText(e.path());
  return out;
}

/// Every path (files, directories, links) under `dir`, relative.
inline std::set<std::string> TreePaths(const fs::path& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out.insert(fs::relative(e.path(), dir).string());
  return out;
}

/// Options of a demo-like declaration.
struct DemoSpec {
  std::string name = "demo";
  fs::path repo = DemoRepo();
  fs::path key = DemoKey();
  bool build_repositories = false;  ///< repository under build_repositories (not in the image)
  std::string runtime_repository;   ///< written to /etc/apk/repositories instead
  std::vector<std::string> packages = {"hello", "cairn-motd"};
  std::vector<std::string> archs = {"x86_64", "aarch64"};
};

/// images/demo.yaml with the repository and key at absolute paths (so tests do
/// not depend on the build directory's name).
inline std::string DemoYaml(const DemoSpec& s = {}) {
  std::string y = "# e2e copy of images/demo.yaml\nname: " + s.name +
                  "\ndescription: hello-world container image from the project's own demo "
                  "repository\ncontents:\n";
  y += s.build_repositories ? "  build_repositories:\n" : "  repositories:\n";
  y += "    - " + s.repo.string() + "\n";
  if (!s.runtime_repository.empty())
    y += "  runtime_repositories:\n    - " + s.runtime_repository + "\n";
  y += "  keyring:\n    - " + s.key.string() + "\n  packages:\n";
  for (const auto& p : s.packages) y += "    - " + p + "\n";
  y += "archs:\n";
  for (const auto& a : s.archs) y += "  - " + a + "\n";
  y += R"(accounts:
  groups:
    - groupname: app
      gid: 1000
  users:
    - username: app
      uid: 1000
      gid: 1000
  run-as: app
files:
  - path: /etc/hello.conf
    content: |
      # written by cairn from images/demo.yaml, no package needed
      greeting=hello
    mode: 0644
entrypoint:
  command: /usr/bin/hello
work-dir: /home/app
environment:
  LANG: C.UTF-8
annotations:
  org.opencontainers.image.title: cairn demo
  org.opencontainers.image.source: https://example.invalid/cairn
)";
  return y;
}

/// The content images/demo.yaml declares for /etc/hello.conf.
inline const char* kHelloConf = "# written by cairn from images/demo.yaml, no package needed\n"
                                "greeting=hello\n";

/// `cairn resolve FILE` parsed into arch -> set of "name version".
inline std::map<std::string, std::set<std::string>> ParseResolve(const std::string& out,
                                                                 const std::string& only_arch) {
  std::map<std::string, std::set<std::string>> m;
  std::string arch = only_arch;
  for (const auto& line : Lines(out)) {
    if (line.rfind("# ", 0) == 0) {
      arch = line.substr(2);
      continue;
    }
    if (!line.empty()) m[arch].insert(line);
  }
  return m;
}

// --- gzip members -------------------------------------------------------

/// Byte ranges [begin, end) of the concatenated gzip members of `data`.
inline std::vector<std::pair<size_t, size_t>> GzipMembers(const std::string& data) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t pos = 0;
  std::vector<unsigned char> sink(1 << 16);
  while (pos < data.size()) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + pos));
    z.avail_in = static_cast<uInt>(data.size() - pos);
    int rc = Z_OK;
    while (rc == Z_OK) {
      z.next_out = sink.data();
      z.avail_out = static_cast<uInt>(sink.size());
      rc = inflate(&z, Z_NO_FLUSH);
    }
    size_t used = (data.size() - pos) - z.avail_in;
    inflateEnd(&z);
    REQUIRE(rc == Z_STREAM_END);
    out.push_back({pos, pos + used});
    pos += used;
  }
  return out;
}

/// The decompressed content of one gzip member.
inline std::string Gunzip(const std::string& member) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(member.data()));
  z.avail_in = static_cast<uInt>(member.size());
  std::string out;
  std::vector<char> buf(1 << 16);
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf.data());
    z.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - z.avail_out);
  }
  inflateEnd(&z);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

/// One gzip member holding `data` (no name, mtime 0).
inline std::string Gzip(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

/// Flips one bit in the middle of the compressed bytes of member `index` of
/// the file (past the 10-byte gzip header, before the 8-byte trailer).
inline void FlipInMember(const fs::path& file, size_t index) {
  std::string data = ReadText(file);
  auto members = GzipMembers(data);
  REQUIRE(index < members.size());
  auto [begin, end] = members[index];
  REQUIRE(end - begin > 40);
  size_t at = begin + 10 + (end - begin - 18) / 2;
  data[at] = static_cast<char>(data[at] ^ 0x10);
  WriteText(file, data);
}

/// Rewrites the signature member (the first) of an APK file or index with one
/// byte of the signature blob changed; the tar header stays valid.
inline void CorruptSignature(const fs::path& file) {
  std::string data = ReadText(file);
  auto members = GzipMembers(data);
  REQUIRE(members.size() >= 2);
  std::string tar = Gunzip(data.substr(members[0].first, members[0].second - members[0].first));
  REQUIRE(tar.size() > 600);
  REQUIRE(tar.compare(0, 6, ".SIGN.") == 0);
  tar[512 + 100] = static_cast<char>(tar[512 + 100] ^ 0x01);  // inside the RSA signature
  std::string out = Gzip(tar) + data.substr(members[0].second);
  WriteText(file, out);
}

}  // namespace cairn::e2e
