// APK v2 signature members and the trust policy.
//
// A signature member is a gzip'ed tar (no end-of-archive blocks) of entries
// `.SIGN.<ALG>.<keyname>`, each holding a raw RSA PKCS#1 v1.5 signature over
// the compressed bytes of the next member (plus the data member for packages
// without `datahash`). Policy, applied by CheckSignatures:
//   - every signature whose key is in the keyring must verify, else kIntegrity
//     naming the key, even with allow_untrusted;
//   - at least one must verify, else (no signature, or only unknown keys)
//     kIntegrity "... is not signed by a trusted key ..." unless allow_untrusted.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/extract/keyring.h"
#include "cairn/result.h"

namespace cairn::extract {

/// One signature as found in a file, and what the check made of it.
struct SignatureInfo {
  std::string key_name;   ///< "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub"
  std::string algo;       ///< "RSA", "RSA256", "RSA512" or as written ("DSA")
  bool trusted = false;   ///< the key is in the keyring
  bool verified = false;  ///< the key is in the keyring and the signature matches
  bool operator==(const SignatureInfo&) const = default;
};

/// A `.SIGN.*` entry with its signature bytes.
struct RawSignature {
  std::string key_name;
  std::string algo;
  std::string signature;
};

/// Reads the entries of a (compressed) gzip member. Returns an empty vector
/// if its first entry is not a `.SIGN.*` entry (the member is not a signature
/// member); kIntegrity if it mixes `.SIGN.*` and other entries. `what` names
/// the file in errors.
Result<std::vector<RawSignature>> ReadSignatureMember(std::string_view compressed_member,
                                                      std::string_view what);

/// Passes the signed bytes to `sink`, in one or more chunks.
using SignedBytes =
    std::function<Status(const std::function<Status(std::string_view chunk)>& sink)>;

/// The outcome of an accepted check.
struct SignatureCheck {
  std::vector<SignatureInfo> signatures;  ///< in file order
  std::string trusted_key;  ///< first key that verified; empty if accepted as untrusted
};

/// Applies the policy above. `what` is how errors name the file, e.g.
/// "package 'x.apk'" or "index 'APKINDEX.tar.gz'". Messages:
///   "<what> is not signed by a trusted key (signed by 'k1', 'k2'); add the key to the
///    keyring or pass --allow-untrusted"
///   "<what> is not signed by a trusted key (it has no signature); pass --allow-untrusted
///    to accept it"
///   "signature of <what> by trusted key 'k' does not verify"
///   "signature of <what> by trusted key 'k' uses unsupported algorithm 'DSA'"
Result<SignatureCheck> CheckSignatures(const std::vector<RawSignature>& signatures,
                                       const Keyring& keyring, const SignedBytes& signed_bytes,
                                       bool allow_untrusted, std::string_view what);

}  // namespace cairn::extract
