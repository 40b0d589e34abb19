// Reading an APKINDEX.tar.gz: verify its signature, then return the text.
//
// The archive is an optional signature member followed by one gzip member
// holding a tar with `DESCRIPTION` and `APKINDEX`; the signatures cover the
// compressed bytes of that second member (formats.md §1.5). The text is only
// returned after the trust policy of signature.h accepted the file; parsing
// the APKINDEX records is the repo module's job.
//
//   CAIRN_ASSIGN_OR_RETURN(auto index, extract::ReadApkIndexArchive(path, keyring, false));
//   ParseApkIndex(index.apkindex_text, ...);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/extract/keyring.h"
#include "cairn/extract/signature.h"
#include "cairn/result.h"

namespace cairn::extract {

/// The verified content of an APKINDEX.tar.gz.
struct ApkIndexArchive {
  std::string apkindex_text;              ///< the APKINDEX entry, verbatim
  /// The APKINDEX tar entry's mtime: when `apk index` wrote it (the signature
  /// covers it), so a cache can tell an older index from a newer one.
  int64_t apkindex_mtime = 0;
  std::string description;                ///< the DESCRIPTION entry ("" if absent)
  std::vector<SignatureInfo> signatures;  ///< every `.SIGN.*` entry, in file order
  std::string trusted_key;                ///< key that verified; "" if accepted untrusted
};

/// Reads and verifies `path`. Errors: kNotFound (no file), kIntegrity (bad
/// gzip or tar, wrong member count, no APKINDEX entry, signature policy; the
/// file is named as "index '<path>'").
Result<ApkIndexArchive> ReadApkIndexArchive(const std::filesystem::path& path,
                                            const Keyring& keyring, bool allow_untrusted);

}  // namespace cairn::extract
