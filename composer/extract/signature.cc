#include "cairn/extract/signature.h"

#include <fmt/format.h>

#include <optional>

#include "cairn/extract/archive.h"

namespace cairn::extract {
namespace {

constexpr std::string_view kSignPrefix = ".SIGN.";
// RSA-8192 signatures are 1 KiB; anything far larger is not a signature.
constexpr size_t kMaxSignatureSize = 64 * 1024;

std::optional<SignatureAlgo> AlgoFromName(std::string_view name) {
  if (name == "RSA") return SignatureAlgo::kRsaSha1;
  if (name == "RSA256") return SignatureAlgo::kRsaSha256;
  if (name == "RSA512") return SignatureAlgo::kRsaSha512;
  return std::nullopt;
}

}  // namespace

Result<std::vector<RawSignature>> ReadSignatureMember(std::string_view compressed_member,
                                                      std::string_view what) {
  CAIRN_ASSIGN_OR_RETURN(auto reader,
                         ArchiveReader::OpenMemory(compressed_member, std::string(what)));
  std::vector<RawSignature> out;
  ArchiveEntry entry;
  bool first = true;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool more, reader.Next(&entry));
    if (!more) break;
    bool is_sign = entry.pathname.rfind(kSignPrefix, 0) == 0;
    if (first && !is_sign) return out;
    first = false;
    if (!is_sign || entry.type != rootfs::FileType::kRegular)
      return IntegrityError(
          fmt::format("signature member of {} has an unexpected entry '{}'", what, entry.pathname));
    std::string_view rest = std::string_view(entry.pathname).substr(kSignPrefix.size());
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == rest.size())
      return IntegrityError(
          fmt::format("signature entry '{}' of {} is not named '.SIGN.<algorithm>.<key name>'",
                      entry.pathname, what));
    RawSignature sig;
    sig.algo = std::string(rest.substr(0, dot));
    sig.key_name = std::string(rest.substr(dot + 1));
    CAIRN_ASSIGN_OR_RETURN(sig.signature, reader.ReadAllData(kMaxSignatureSize));
    out.push_back(std::move(sig));
  }
  return out;
}

Result<SignatureCheck> CheckSignatures(const std::vector<RawSignature>& signatures,
                                       const Keyring& keyring, const SignedBytes& signed_bytes,
                                       bool allow_untrusted, std::string_view what) {
  SignatureCheck check;
  std::vector<Verifier> verifiers;
  std::vector<size_t> verifier_sig;  // index into `signatures` for each verifier
  for (size_t i = 0; i < signatures.size(); ++i) {
    const RawSignature& sig = signatures[i];
    SignatureInfo info{sig.key_name, sig.algo, false, false};
    if (const PublicKey* key = keyring.Find(sig.key_name)) {
      info.trusted = true;
      std::optional<SignatureAlgo> algo = AlgoFromName(sig.algo);
      if (!algo)
        return IntegrityError(
            fmt::format("signature of {} by trusted key '{}' uses unsupported algorithm '{}'", what,
                        sig.key_name, sig.algo));
      CAIRN_ASSIGN_OR_RETURN(Verifier v, Verifier::Begin(*key, *algo));
      verifiers.push_back(std::move(v));
      verifier_sig.push_back(i);
    }
    check.signatures.push_back(std::move(info));
  }

  if (!verifiers.empty()) {
    // One pass over the signed bytes feeds every verifier.
    CAIRN_TRY(signed_bytes([&](std::string_view chunk) -> Status {
      for (auto& v : verifiers) CAIRN_TRY(v.Update(chunk));
      return {};
    }));
    for (size_t j = 0; j < verifiers.size(); ++j) {
      const RawSignature& sig = signatures[verifier_sig[j]];
      CAIRN_ASSIGN_OR_RETURN(bool ok, verifiers[j].Finish(sig.signature));
      if (!ok)
        return IntegrityError(
            fmt::format("signature of {} by trusted key '{}' does not verify", what, sig.key_name));
      check.signatures[verifier_sig[j]].verified = true;
      if (check.trusted_key.empty()) check.trusted_key = sig.key_name;
    }
    return check;
  }

  if (allow_untrusted) return check;
  if (signatures.empty())
    return IntegrityError(fmt::format(
        "{} is not signed by a trusted key (it has no signature); pass --allow-untrusted to "
        "accept it",
        what));
  std::string names;
  for (const auto& sig : signatures) {
    if (!names.empty()) names += ", ";
    names += fmt::format("'{}'", sig.key_name);
  }
  return IntegrityError(fmt::format(
      "{} is not signed by a trusted key (signed by {}); add the key to the keyring or pass "
      "--allow-untrusted",
      what, names));
}

}  // namespace cairn::extract
