// Verifying a Debian Release file, clearsigned (InRelease) or detached (Release.gpg), with gpgv.
//
// gpgv does the cryptography; this applies apt's policy: one good signature (GOODSIG and
// VALIDSIG) by a key in the given keyrings suffices, any BADSIG or gpgv ERROR fails, and
// expired/revoked keys, expired signatures and MD5/SHA-1/RIPEMD-160 digests do not count.
// The text returned is what gpgv wrote to --output, never parsed from the file, so text
// outside the signed block is dropped. Keyrings are binary (.gpg, .kbx) or armored (.asc,
// dearmored in-process: the host needs gpgv only).
//   CAIRN_ASSIGN_OR_RETURN(auto rel, deb::VerifyInRelease(path, deb::DefaultDebianKeyrings(),
//   url));
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn::deb {

/// A Release file whose signature verified.
struct VerifiedRelease {
  /// The signed Release text, as gpgv wrote it (dash-escaping undone).
  std::string text;
  /// Primary-key fingerprints (40 uppercase hex digits) of the good
  /// signatures, sorted and unique; a subkey signature names its primary key.
  std::vector<std::string> signer_fingerprints;
};

/// Verifies a clearsigned InRelease file against `keyrings` (at least one).
/// `origin` names the file in messages, e.g. the suite URL. Errors are
/// kIntegrity and start "InRelease '<origin>': ", e.g.
/// "signature by unknown key 6ED0E7B82643E131 (not in keyring '<path>')",
/// "bad signature by key <keyid> (the file was modified)" or "no signature
/// (expected an OpenPGP clearsigned file)"; kNotFound for a missing file or
/// keyring; kTool when gpgv is missing or fails in an unexpected way.
Result<VerifiedRelease> VerifyInRelease(const std::filesystem::path& inrelease,
                                        const std::vector<std::filesystem::path>& keyrings,
                                        std::string_view origin);

/// Verifies `release` against the detached signature `release_gpg`; the same
/// policy and errors as VerifyInRelease, with messages starting "Release '<origin>': ".
/// The returned text is the exact bytes that were verified (read once).
Result<VerifiedRelease> VerifyReleaseWithSignature(
    const std::filesystem::path& release, const std::filesystem::path& release_gpg,
    const std::vector<std::filesystem::path>& keyrings, std::string_view origin);

/// The keyrings apt trusts by default for deb.debian.org: the
/// debian-archive-keyring package's combined keyring, if installed (else empty).
std::vector<std::filesystem::path> DefaultDebianKeyrings();

}  // namespace cairn::deb
