// Helpers for the disk tests: reading images back with independent tools
// (sfdisk --json, debugfs, e2fsck, mtools, fsck.vfat) and sample trees.
#pragma once

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "cairn/disk/image.h"
#include "cairn/rootfs/tree.h"
#include "support/test_support.h"

namespace cairn::disk::testutil {

namespace fs = std::filesystem;
using testing::RunCommand;

inline constexpr int64_t kEpoch = 1700000000;  // 2023-11-14T22:13:20Z

/// `sfdisk --json` of an image, parsed.
inline nlohmann::json SfdiskJson(const fs::path& image) {
  auto r = RunCommand({"sfdisk", "--json", image.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out)["partitiontable"];
}

/// What `debugfs -R 'stat PATH'` reports about one inode.
struct InodeInfo {
  std::string type;  ///< "regular", "directory", "symlink", "character special", ...
  uint32_t mode = 0; ///< permission bits as printed (octal)
  uint32_t uid = 0, gid = 0;
  int64_t atime = 0, mtime = 0, ctime = 0, crtime = 0;
  uint32_t links = 0;
  std::string device;      ///< "01:03" for device nodes
  std::string link_dest;   ///< fast symlink target
  std::string text;        ///< the whole output
};

inline std::string Spec(const fs::path& image, uint64_t offset) {
  return image.string() + "?offset=" + std::to_string(offset);
}

inline std::string Quote(const std::string& path) {
  std::string out = "\"";
  for (char c : path) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

inline InodeInfo DebugfsStat(const fs::path& image, uint64_t offset, const std::string& path) {
  auto r = RunCommand({"debugfs", "-R", "stat " + Quote(path), Spec(image, offset)});
  InodeInfo info;
  info.text = r.out;
  INFO(path << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(Type: (.+?)\s+Mode:\s+([0-7]+))")));
  info.type = m[1];
  info.mode = static_cast<uint32_t>(std::stoul(m[2], nullptr, 8));
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(User:\s+(\d+)\s+Group:\s+(\d+))")));
  info.uid = static_cast<uint32_t>(std::stoul(m[1]));
  info.gid = static_cast<uint32_t>(std::stoul(m[2]));
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(Links: (\d+))")));
  info.links = static_cast<uint32_t>(std::stoul(m[1]));
  std::map<std::string, int64_t*> times = {
      {"atime", &info.atime}, {"mtime", &info.mtime}, {"ctime", &info.ctime}, {"crtime", &info.crtime}};
  for (auto& [name, slot] : times) {
    REQUIRE(std::regex_search(r.out, m, std::regex("\\b" + name + R"(: 0x([0-9a-f]+):([0-9a-f]+))")));
    *slot = std::stoll(m[1], nullptr, 16);
    CHECK(m[2] == "00000000");  // no nanoseconds, no epoch extension
  }
  if (std::regex_search(r.out, m, std::regex(R"(Device major/minor number: ([0-9a-f]+:[0-9a-f]+))")))
    info.device = m[1];
  if (std::regex_search(r.out, m, std::regex(R"(Fast link dest: \"(.*)\")")))
    info.link_dest = m[1];
  return info;
}

/// A file's content as `debugfs -R 'cat PATH'` prints it.
inline std::string DebugfsCat(const fs::path& image, uint64_t offset, const std::string& path) {
  auto r = RunCommand({"debugfs", "-R", "cat " + Quote(path), Spec(image, offset)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

inline std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// An xattr value as `debugfs ea_get -f` writes it.
inline std::string DebugfsXattr(const fs::path& image, uint64_t offset, const std::string& path,
                                const std::string& name, const fs::path& scratch) {
  fs::path out = scratch / "xattr.value";
  fs::remove(out);
  auto r = RunCommand({"debugfs", "-R", "ea_get -f " + out.string() + " " + Quote(path) + " " + name,
                       Spec(image, offset)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return ReadAll(out);
}

/// Copies [offset, offset+size) of `image` to `out` (for e2fsck / fsck.vfat).
inline void ExtractRange(const fs::path& image, uint64_t offset, uint64_t size, const fs::path& out) {
  auto r = RunCommand({"dd", "if=" + image.string(), "of=" + out.string(), "bs=1M",
                       "skip=" + std::to_string(offset / (1 << 20)),
                       "count=" + std::to_string(size / (1 << 20)), "conv=sparse", "status=none"});
  REQUIRE(r.exit_code == 0);
}

inline std::string Sha256Of(const fs::path& p) {
  auto r = RunCommand({"sha256sum", p.string()});
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, 64);
}

/// Files and directories in a directory (to prove nothing was left behind);
/// empty when the directory does not exist.
inline std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

inline std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Adds one node from an FsEntry (devices, fifos, hard links, xattrs).
inline void Add(rootfs::Tree& tree, rootfs::FsEntry e, const std::string& content = {}) {
  size_t pos = 0;
  rootfs::ContentReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
    size_t n = std::min(cap, content.size() - pos);
    std::copy_n(content.data() + pos, n, buf);
    pos += n;
    return n;
  };
  const bool regular = e.type == rootfs::FileType::kRegular;
  if (regular) e.size = content.size();
  auto st = tree.Add(std::move(e), regular ? &reader : nullptr);
  INFO((st.ok() ? std::string() : st.error().Render()));
  REQUIRE(st.ok());
}

/// A deterministic pseudo-random payload (incompressible, no zero runs).
inline std::string Payload(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>((x & 0xff) | 1);
  }
  return s;
}

/// security.capability for cap_net_raw+ep (VFS_CAP_REVISION_2).
inline std::string CapNetRaw() {
  return std::string("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
}

/// A root tree exercising owners, modes, times, links, devices and xattrs.
inline void FillRootTree(rootfs::Tree& t) {
  using rootfs::FileType;
  auto ok = [](const Status& s) {
    INFO((s.ok() ? std::string() : s.error().Render()));
    REQUIRE(s.ok());
  };
  ok(t.AddDirectory("etc", 0755, 0, 0, 1600000000));
  ok(t.AddFile("etc/motd", "hello from cairn\n", 0644, 0, 0, 1600000000));
  ok(t.AddFile("etc/future", "from the future\n", 0644, 0, 0, 1900000000));  // clamped
  ok(t.AddFile("etc/shadow", "root:*:1::::::\n", 0640, 0, 42, 1600000000));
  ok(t.AddFile("etc/secret", "nobody reads this\n", 0000, 0, 0, 1600000000));
  ok(t.AddDirectory("home", 0755, 0, 0, 1600000000));
  ok(t.AddDirectory("home/user", 0750, 1000, 1000, 1600000100));
  ok(t.AddFile("home/user/notes.txt", "mine\n", 0600, 1000, 1000, 1600000200));
  ok(t.AddFile("home/user/big \"quoted\" name", Payload(300000, 7), 0644, 1000, 100, 1600000300));
  ok(t.AddDirectory("usr/bin", 0755, 0, 0, 1600000000));
  ok(t.AddFile("usr/bin/su", "#!/bin/sh\necho su\n", 04755, 0, 0, 1600000000));
  ok(t.AddFile("usr/bin/wall", "#!/bin/sh\n", 02755, 0, 5, 1600000000));
  ok(t.AddFile("usr/bin/big-uid", "x\n", 0644, 70000, 70001, 1600000000));
  Add(t, {.path = "usr/bin/ping", .mode = 0755, .mtime = 1600000000,
          .xattrs = {{"security.capability", CapNetRaw()}, {"user.comment", "pong"}}},
      "#!/bin/sh\necho ping\n");
  Add(t, {.path = "usr/bin/su-link", .type = FileType::kHardlink, .mtime = 1600000000,
          .link_target = "usr/bin/su"});
  // Sorts before its target: staging must not link before the target exists.
  Add(t, {.path = "usr/bin/a-su", .type = FileType::kHardlink, .mtime = 1600000000,
          .link_target = "usr/bin/su"});
  ok(t.AddSymlink("bin", "usr/bin", 1600000000));
  ok(t.AddSymlink("usr/bin/long-link", std::string(100, 'l'), 1600000000));
  ok(t.AddDirectory("dev", 0755, 0, 0, 1600000000));
  Add(t, {.path = "dev/null", .type = FileType::kCharDevice, .mode = 0666, .mtime = 1600000000,
          .dev_major = 1, .dev_minor = 3});
  Add(t, {.path = "dev/sda", .type = FileType::kBlockDevice, .mode = 0660, .gid = 6,
          .mtime = 1600000000, .dev_major = 8, .dev_minor = 0});
  Add(t, {.path = "dev/initctl", .type = FileType::kFifo, .mode = 0600, .mtime = 1600000000});
  ok(t.AddDirectory("tmp", 01777, 0, 0, 1600000000));
  ok(t.AddDirectory("root", 0700, 0, 0, 1600000000));
  ok(t.AddDirectory("proc", 0555, 0, 0, 1600000000));
}

/// An ESP-like tree: long and lowercase names, a hard link, a pre-1980 time.
inline void FillEspTree(rootfs::Tree& t) {
  auto ok = [](const Status& s) {
    INFO((s.ok() ? std::string() : s.error().Render()));
    REQUIRE(s.ok());
  };
  ok(t.AddFile("EFI/BOOT/BOOTX64.EFI", Payload(70000, 3), 0644, 0, 0, 1600000000));
  ok(t.AddFile("loader/loader.conf", "timeout 0\ndefault cairn.conf\n", 0644, 0, 0, 1600000000));
  ok(t.AddFile("loader/entries/cairn.conf", "title cairn\nlinux /vmlinuz\n", 0644, 0, 0,
               1600000000));
  ok(t.AddFile("vmlinuz", Payload(50000, 4), 0644, 0, 0, 1600000000));
  ok(t.AddFile("Long Name With Spaces.txt", "spaces\n", 0644, 0, 0, 1600000000));
  ok(t.AddFile("old.txt", "before fat\n", 0644, 0, 0, 0));
  Add(t, {.path = "vmlinuz.bak", .type = rootfs::FileType::kHardlink, .mtime = 1600000000,
          .link_target = "vmlinuz"});
  Add(t, {.path = "a-vmlinuz", .type = rootfs::FileType::kHardlink, .mtime = 1600000000,
          .link_target = "vmlinuz"});
}

}  // namespace cairn::disk::testutil
