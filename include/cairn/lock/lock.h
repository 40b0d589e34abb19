// The lock file: what Resolve decided, so Fetch and Build can run from it alone.
//
//   CAIRN_ASSIGN_OR_RETURN(cairn::lock::Lock lock, cairn::lock::ReadLock("image.lock.json"));
//   CAIRN_TRY(cairn::WriteFileAtomic(path, cairn::lock::FormatLock(lock)));
//
// Schema (JSON, version 1; our own, modelled on apko's lock.json). Every field
// shown is required except "datahash"; unknown fields are errors:
//   {
//     "version": 1,
//     "format": "deb",                  // optional: "apk" (the default, not written) or "deb"
//     "config": {
//       "files": [{"path": "images/base.yaml", "sha256": "<hex>"}],   // config and includes
//       "sha256": "<hex>"                                              // ConfigDigest(files)
//     },
//     "keyring": [{"name": "alpine-devel@...rsa.pub", "sha256": "<hex>"}],
//     "repositories": [{"url": "https://dl-cdn.alpinelinux.org/alpine/v3.20/main", "tag": ""}],
//     "archs": {
//       "x86_64": {
//         "packages": [                                   // in install order
//           {"name": "musl", "version": "1.2.5-r0", "arch": "x86_64",
//            "url": "<repository>/x86_64/musl-1.2.5-r0.apk",
//            "checksum": "Q1...=",                        // APKINDEX C: (control member SHA-1)
//            "size": 123, "datahash": "<hex>",            // datahash only when known
//            "repository": "<repository url>"}
//         ]
//       }
//     }
//   }
// A layered build (an image with `layers:`, a `base:` or boards) records each
// cairn layer's packages instead of one flat list, keyed by build target (the
// board name, or the arch), with the target's arch when the key is a board:
//       "qemu-x86_64": {
//         "arch": "x86_64",
//         "layers": [{"name": "core", "packages": [...]},   // bottom first; each
//                    {"name": "ssh", "packages": [...]}]    // lists what it added
//       }
// A Debian lock ("format": "deb") has the same shape: "checksum" is "" and each
// package has "sha256" (of the .deb, from the Packages index) instead; "arch" is
// the Debian architecture ("amd64", "all"), and "repositories" lists each suite
// as "<archive>/dists/<suite>".
// FormatLock writes keys in the order above, archs sorted by name, 2-space
// indentation and a trailing newline, so equal locks are equal bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/apk/package.h"
#include "cairn/result.h"

namespace cairn::lock {

/// The lock format version FormatLock writes and ReadLock accepts.
inline constexpr int kLockVersion = 1;

/// One declaration file that went into the build.
struct LockedFile {
  std::string path;    ///< as named in the configuration (relative to the project)
  std::string sha256;  ///< lowercase hex of the file content
  bool operator==(const LockedFile&) const = default;
};

/// The configuration the lock was made from.
struct LockedConfig {
  std::vector<LockedFile> files;
  std::string sha256;  ///< ConfigDigest(files)
  bool operator==(const LockedConfig&) const = default;
};

/// One trusted key.
struct LockedKey {
  std::string name;    ///< file name, e.g. "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"
  std::string sha256;  ///< lowercase hex of the key file
  bool operator==(const LockedKey&) const = default;
};

/// One repository; `tag` is the apk pin name ("" for untagged).
struct LockedRepository {
  std::string url;
  std::string tag;
  bool operator==(const LockedRepository&) const = default;
};

/// One package to install.
struct LockedPackage {
  std::string name;
  std::string version;
  std::string arch;
  std::string url;         ///< where the .apk is fetched from
  std::string checksum;    ///< APKINDEX C: ("Q1" + base64 SHA-1 of the control member)
  uint64_t size = 0;       ///< .apk size in bytes
  std::string datahash;    ///< hex SHA-256 of the data member; empty when unknown
  std::string repository;  ///< the repository URL it was resolved from
  std::string sha256;      ///< hex SHA-256 of the package file (Debian); empty for APK
  bool operator==(const LockedPackage&) const = default;
};

/// The packages one cairn layer added, in install order.
struct LockedLayer {
  std::string name;
  std::vector<LockedPackage> packages;
  bool operator==(const LockedLayer&) const = default;
};

/// The packages of one build target (an architecture, or a board), in install order.
struct LockedArch {
  std::vector<LockedPackage> packages;  ///< every package; for layered targets, the layers' concatenated
  /// Layered targets only (empty for a plain image): what each layer added.
  std::vector<LockedLayer> layers;
  std::string arch;  ///< the apk arch when the key is not one (a board name); "" otherwise
  bool operator==(const LockedArch&) const = default;
};

/// A whole lock file.
struct Lock {
  int version = kLockVersion;
  std::string format = "apk";  ///< "apk" or "deb"
  LockedConfig config;
  std::vector<LockedKey> keyring;
  std::vector<LockedRepository> repositories;
  std::map<std::string, LockedArch> archs;  ///< keyed by apk arch ("x86_64", "aarch64")
  bool operator==(const Lock&) const = default;
};

/// Reads and validates a lock file; errors are kNotFound/kIo for the file and
/// kConfig (located at the file, and at line:col for JSON syntax) naming the field.
Result<Lock> ReadLock(const std::filesystem::path& path);
/// Parses lock text; `file` names it in errors.
Result<Lock> ParseLock(std::string_view text, const std::string& file);
/// Deterministic JSON text of a lock (see the schema above).
std::string FormatLock(const Lock& lock);

/// The combined config hash: sha256 of "<sha256>  <path>\n" lines (sha256sum's
/// format) sorted by path, so the order files were listed in does not matter.
std::string ConfigDigest(const std::vector<LockedFile>& files);

/// A locked package from a resolved index record and the URL it will be fetched from.
LockedPackage FromPackageInfo(const apk::PackageInfo& info, std::string url);
/// The index fields a lock keeps, as a PackageInfo (other fields left empty).
apk::PackageInfo ToPackageInfo(const LockedPackage& package);

}  // namespace cairn::lock
