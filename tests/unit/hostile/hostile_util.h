// Builders of hostile package bytes for the [hostile] suite: raw ustar/pax
// headers (any name bytes, any type, a size that lies), and .deb/.apk
// wrappers around such a data tar, so a case feeds exactly the bytes it
// describes through cairn's real readers and into a rootfs::Tree.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "cairn/extract/apk_package.h"
#include "cairn/extract/compressed_file.h"
#include "cairn/extract/deb_package.h"
#include "cairn/rootfs/tree.h"
#include "support/hostile_record.h"
#include "support/test_support.h"

namespace cairn::hostile {

namespace fs = std::filesystem;

inline void Spit(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

/// One 512-byte ustar header; `name` is cut to 100 bytes (use Pax for more).
inline std::string UstarHeader(std::string_view name, char type, uint64_t size,
                               std::string_view link = "", uint32_t mode = 0644,
                               uint32_t major = 0, uint32_t minor = 0) {
  std::string h(512, '\0');
  auto put = [&](size_t off, size_t len, std::string_view v) {
    h.replace(off, std::min(len, v.size()), v.substr(0, std::min(len, v.size())));
  };
  auto octal = [&](size_t off, size_t len, uint64_t v) {
    put(off, len, fmt::format("{:0{}o}", v, len - 1));
  };
  put(0, 100, name);
  octal(100, 8, mode);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 1700000000);
  h[156] = type;
  put(157, 100, link);
  put(257, 6, "ustar");
  put(263, 2, "00");
  octal(329, 8, major);
  octal(337, 8, minor);
  put(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  put(148, 8, fmt::format("{:06o}", sum) + std::string("\0 ", 2));
  return h;
}

inline std::string Pad(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

/// A pax extended header giving `path` (any bytes, any length) to the next entry.
inline std::string PaxPath(std::string_view path) {
  std::string rec = fmt::format(" path={}\n", path);
  size_t n = rec.size() + 1;
  while (std::to_string(n).size() + rec.size() != n) ++n;
  rec = std::to_string(n) + rec;
  return UstarHeader("PaxHeader", 'x', rec.size()) + Pad(rec);
}

/// A regular file entry with content (name via pax when given so).
inline std::string TarFile(std::string_view name, std::string_view content, uint32_t mode = 0644,
                           bool pax = false) {
  std::string out = pax ? PaxPath(name) + UstarHeader("pax", '0', content.size(), "", mode)
                        : UstarHeader(name, '0', content.size(), "", mode);
  return out + Pad(std::string(content));
}
inline std::string TarEnd() { return std::string(1024, '\0'); }

/// A .deb (ar) with a minimal control member and `data_tar` as data.tar<ext>.
inline std::string MakeDeb(const std::string& data_tar, extract::Compression c,
                           const std::string& package = "evil", const std::string& version = "1") {
  std::string control = fmt::format(
      "Package: {}\nVersion: {}\nArchitecture: amd64\nMaintainer: x <x@example.org>\n"
      "Description: hostile\n",
      package, version);
  std::string ctar = UstarHeader("./", '5', 0, "", 0755) + TarFile("./control", control) + TarEnd();
  auto cgz = extract::CompressBytes(ctar, extract::Compression::kGzip);
  REQUIRE(cgz.ok());
  auto data = extract::CompressBytes(data_tar, c);
  REQUIRE(data.ok());
  std::string ext = c == extract::Compression::kNone ? "" : c == extract::Compression::kGzip ? ".gz"
                    : c == extract::Compression::kXz                                          ? ".xz"
                                                                                               : ".zst";
  auto member = [](const std::string& name, const std::string& body) {
    std::string h = fmt::format("{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n", name, 0, 0, 0, "100644",
                                body.size());
    return h + body + (body.size() % 2 ? "\n" : "");
  };
  return "!<arch>\n" + member("debian-binary", "2.0\n") + member("control.tar.gz", *cgz) +
         member("data.tar" + ext, *data);
}

/// An unsigned .apk: control member (.PKGINFO) + gzip(data_tar). Open with allow_untrusted.
inline std::string MakeApk(const std::string& data_tar, const std::string& name = "evil") {
  std::string pkginfo = fmt::format("pkgname = {}\npkgver = 1-r0\narch = x86_64\nsize = 1\n", name);
  std::string ctar = TarFile(".PKGINFO", pkginfo);  // no end marker: apk concatenates
  auto control = extract::CompressBytes(ctar, extract::Compression::kGzip);
  REQUIRE(control.ok());
  auto data = extract::CompressBytes(data_tar, extract::Compression::kGzip);
  REQUIRE(data.ok());
  return *control + *data;
}

/// Every entry of the package at `path` (.deb or .apk by extension) into
/// `tree` with owner 0; the first error (open, read or placement).
inline Status ExtractInto(const fs::path& path, rootfs::Tree& tree, int owner = 0) {
  auto add = [&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) {
    return tree.Add(e, r, owner);
  };
  if (path.extension() == ".deb") {
    CAIRN_ASSIGN_OR_RETURN(auto deb, extract::DebPackage::Open(path));
    return deb.ForEachDataEntry(add);
  }
  CAIRN_ASSIGN_OR_RETURN(auto apk, extract::ApkPackage::Open(path, extract::Keyring(), {}, true));
  return apk.ForEachDataEntry(add);
}

/// Every path in the tree, for "nothing else got in" checks.
inline std::vector<std::string> Paths(const rootfs::Tree& tree) {
  std::vector<std::string> out;
  for (const auto& [p, n] : tree.nodes()) out.push_back(p);
  return out;
}

/// No node leaves the root or carries a byte a path may not.
inline void CheckTreeSane(const rootfs::Tree& tree) {
  for (const auto& [p, n] : tree.nodes()) {
    INFO(p);
    CHECK(p.find('\0') == std::string::npos);
    CHECK(p.rfind("/", 0) != 0);
    CHECK(("/" + p + "/").find("/../") == std::string::npos);
  }
}

}  // namespace cairn::hostile
