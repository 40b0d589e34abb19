#include "cairn/deb/inrelease.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/subprocess.h"

namespace cairn::deb {
namespace {

namespace fs = std::filesystem;

// gpgv checks a 150 KB InRelease in milliseconds; the bound only catches a hung tool.
constexpr std::chrono::seconds kGpgvTimeout{120};
// OpenPGP hash algorithm ids (RFC 4880 §9.4) that apt refuses for Release files.
const std::map<int, std::string_view> kWeakDigests = {{1, "MD5"}, {2, "SHA1"}, {3, "RIPEMD160"}};
// gpg's GPG_ERR_NO_PUBKEY, the ERRSIG return code for "key not in the keyrings".
constexpr int kErrNoPublicKey = 9;
constexpr int kErrUnknownAlgorithm = 4;

constexpr std::string_view kArmorBegin = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
constexpr std::string_view kArmorEnd = "-----END PGP PUBLIC KEY BLOCK-----";

// ---------------------------------------------------------------------------
// Keyrings

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// CRC-24 of RFC 4880 §6.1, the armor checksum.
uint32_t Crc24(std::string_view data) {
  uint32_t crc = 0xB704CE;
  for (unsigned char c : data) {
    crc ^= static_cast<uint32_t>(c) << 16;
    for (int i = 0; i < 8; ++i) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864CFB;
    }
  }
  return crc & 0xFFFFFF;
}

// Decodes every "PUBLIC KEY BLOCK" in an armored file into one binary keyring
// (concatenated packets are what gpgv reads). In-process rather than
// `gpg --dearmor`, so verifying needs only the gpgv package on the host.
Result<std::string> Dearmor(std::string_view text, const std::string& what) {
  enum class State { kOutside, kHeaders, kBody } state = State::kOutside;
  std::string binary, body;
  std::optional<std::string> crc_text;
  int blocks = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = TrimRight(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    switch (state) {
      case State::kOutside:
        if (line == kArmorBegin) {
          state = State::kHeaders;
        } else if (line.substr(0, 15) == "-----BEGIN PGP ") {
          return IntegrityError(
              fmt::format("{} holds '{}' (expected a public key block)", what, line));
        }
        break;
      case State::kHeaders:
        // "Key: value" lines end at a blank line (RFC 4880 §6.2).
        if (line.empty())
          state = State::kBody;
        else if (line.find(':') == std::string_view::npos)
          return IntegrityError(fmt::format("{} has a malformed armor header '{}'", what, line));
        break;
      case State::kBody:
        if (line == kArmorEnd) {
          auto packets = Base64Decode(body);
          if (!packets.ok())
            return IntegrityError(fmt::format("{} has invalid base64 in its armor", what));
          if (crc_text) {
            // An undecodable checksum line counts as a wrong checksum.
            auto crc_bytes = Base64Decode(*crc_text);
            std::string crc = crc_bytes.ok() ? *crc_bytes : std::string();
            uint32_t want = crc.size() == 3 ? (static_cast<uint8_t>(crc[0]) << 16) |
                                                  (static_cast<uint8_t>(crc[1]) << 8) |
                                                  static_cast<uint8_t>(crc[2])
                                            : 0xFFFFFFFF;
            if (want != Crc24(*packets))
              return IntegrityError(fmt::format("{} has a wrong armor checksum", what));
          }
          binary += *packets;
          body.clear();
          crc_text.reset();
          ++blocks;
          state = State::kOutside;
        } else if (!line.empty() && line.front() == '=') {
          crc_text = std::string(line.substr(1));
        } else {
          for (char c : line)
            if (c != ' ' && c != '\t') body += c;
        }
        break;
    }
  }
  if (state != State::kOutside)
    return IntegrityError(fmt::format("{} ends inside an armor block (no '{}')", what, kArmorEnd));
  if (blocks == 0) return IntegrityError(fmt::format("{} has no '{}'", what, kArmorBegin));
  return binary;
}

// What gpgv will be given for one keyring: the file itself when it is binary,
// or a dearmored copy in `tmp`. gpgv takes a name without '/' as relative to
// its homedir, so binary keyrings are passed as absolute paths.
Result<fs::path> PrepareKeyring(const fs::path& keyring, const fs::path& tmp, size_t index) {
  const std::string what = fmt::format("keyring '{}'", keyring.string());
  struct stat st;
  if (::stat(keyring.c_str(), &st) != 0)
    return NotFoundError(fmt::format("{} does not exist", what));
  if (!S_ISREG(st.st_mode)) return IoError(fmt::format("{} is not a regular file", what));
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, ReadFile(keyring));
  size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && bytes.compare(first, 15, "-----BEGIN PGP ") == 0) {
    CAIRN_ASSIGN_OR_RETURN(std::string binary, Dearmor(bytes, what));
    fs::path out = tmp / fmt::format("keyring-{}.gpg", index);
    CAIRN_TRY(WriteFileAtomic(out, binary, 0600));
    return out;
  }
  // A binary OpenPGP packet has the tag bit set; a keybox (.kbx, gpg's
  // pubring.kbx) starts with a header blob carrying "KBXf" at offset 8.
  bool packet = !bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80) != 0;
  bool keybox = bytes.size() >= 12 && bytes.compare(8, 4, "KBXf") == 0;
  if (!packet && !keybox)
    return IntegrityError(fmt::format(
        "{} is not an OpenPGP keyring (expected binary .gpg or ASCII-armored .asc)", what));
  std::error_code ec;
  fs::path abs = fs::absolute(keyring, ec);
  if (ec) return IoError(fmt::format("{}: {}", what, ec.message()));
  return abs;
}

// ---------------------------------------------------------------------------
// gpgv status output (doc/DETAILS in GnuPG)

enum class SigState { kUnknown, kGood, kExpiredSig, kExpiredKey, kRevokedKey, kBad, kError };

// One signature, from NEWSIG to the next.
struct Signature {
  SigState state = SigState::kUnknown;
  std::string key_id;   // long key id (or fingerprint) as gpgv printed it
  std::string user_id;  // from GOODSIG and friends
  int error_code = 0;   // ERRSIG rc
  bool valid = false;   // VALIDSIG seen
  std::string primary_fingerprint;
  int hash_algo = 0;
};

struct GpgvStatus {
  std::vector<Signature> signatures;
  bool no_data = false;             // NODATA: no OpenPGP data or no signature found
  std::vector<std::string> errors;  // ERROR lines: "<location> <code>"
};

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  while (!line.empty()) {
    size_t sp = line.find(' ');
    if (sp != 0) fields.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return fields;
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return s.empty() ? -1 : v;
}

GpgvStatus ParseStatus(std::string_view out) {
  GpgvStatus st;
  auto current = [&st]() -> Signature& {
    if (st.signatures.empty()) st.signatures.emplace_back();
    return st.signatures.back();
  };
  constexpr std::string_view kPrefix = "[GNUPG:] ";
  while (!out.empty()) {
    size_t nl = out.find('\n');
    std::string_view line = TrimRight(out.substr(0, nl));
    out = nl == std::string_view::npos ? std::string_view() : out.substr(nl + 1);
    if (line.substr(0, kPrefix.size()) != kPrefix) continue;
    line.remove_prefix(kPrefix.size());
    auto f = SplitFields(line);
    if (f.empty()) continue;
    std::string_view kw = f[0];
    static const std::map<std::string_view, SigState> kVerdicts = {
        {"GOODSIG", SigState::kGood},         {"EXPSIG", SigState::kExpiredSig},
        {"EXPKEYSIG", SigState::kExpiredKey}, {"REVKEYSIG", SigState::kRevokedKey},
        {"BADSIG", SigState::kBad},
    };
    if (kw == "NEWSIG") {
      st.signatures.emplace_back();
    } else if (auto it = kVerdicts.find(kw); it != kVerdicts.end()) {
      Signature& s = current();
      s.state = it->second;
      if (f.size() > 1) s.key_id = std::string(f[1]);
      // The user id is the rest of the line and may contain spaces.
      size_t uid = line.find(' ', kw.size() + 1);
      if (uid != std::string_view::npos) s.user_id = std::string(line.substr(uid + 1));
    } else if (kw == "ERRSIG") {
      Signature& s = current();
      if (s.state == SigState::kUnknown) s.state = SigState::kError;
      if (f.size() > 1) s.key_id = std::string(f[1]);
      if (f.size() > 6) s.error_code = ToInt(f[6]);
    } else if (kw == "NO_PUBKEY") {
      Signature& s = current();
      if (s.state == SigState::kUnknown) s.state = SigState::kError;
      if (s.error_code == 0) s.error_code = kErrNoPublicKey;
      if (s.key_id.empty() && f.size() > 1) s.key_id = std::string(f[1]);
    } else if (kw == "VALIDSIG") {
      // VALIDSIG <fpr> <date> <ts> <expire> <ver> <reserved> <pk-algo> <hash-algo> <class>
      // [<primary-fpr>]
      Signature& s = current();
      s.valid = true;
      if (f.size() > 8) s.hash_algo = ToInt(f[8]);
      if (f.size() > 10)
        s.primary_fingerprint = std::string(f[10]);
      else if (f.size() > 1)
        s.primary_fingerprint = std::string(f[1]);
    } else if (kw == "NODATA") {
      st.no_data = true;
    } else if (kw == "ERROR") {
      st.errors.push_back(std::string(line.substr(std::min(line.size(), kw.size() + 1))));
    }
  }
  return st;
}

std::string QuotedList(const std::vector<fs::path>& paths) {
  std::string out;
  for (const auto& p : paths) {
    if (!out.empty()) out += ", ";
    out += "'" + p.string() + "'";
  }
  return out;
}

// What to say about signatures when none is good: every problem, in the
// order gpgv reported them, with the unknown keys gathered into one clause.
std::string DescribeProblems(const GpgvStatus& st, const std::vector<fs::path>& keyrings) {
  std::vector<std::string> problems;
  std::vector<std::string> unknown;
  size_t unknown_slot = 0;
  for (const Signature& s : st.signatures) {
    switch (s.state) {
      case SigState::kGood:
        if (auto weak = kWeakDigests.find(s.hash_algo); weak != kWeakDigests.end())
          problems.push_back(
              fmt::format("signature by key {} uses the weak digest {}", s.key_id, weak->second));
        else
          problems.push_back(
              fmt::format("signature by key {} was not confirmed by gpgv (no VALIDSIG)", s.key_id));
        break;
      case SigState::kExpiredSig:
        problems.push_back(fmt::format("signature by key {} has expired", s.key_id));
        break;
      case SigState::kExpiredKey:
        problems.push_back(fmt::format("signature by expired key {} ('{}')", s.key_id, s.user_id));
        break;
      case SigState::kRevokedKey:
        problems.push_back(fmt::format("signature by revoked key {} ('{}')", s.key_id, s.user_id));
        break;
      case SigState::kError:
        if (s.error_code == kErrNoPublicKey) {
          if (unknown.empty()) {
            unknown_slot = problems.size();
            problems.emplace_back();
          }
          unknown.push_back(s.key_id);
        } else if (s.error_code == kErrUnknownAlgorithm) {
          problems.push_back(fmt::format(
              "cannot check the signature by key {} (unsupported algorithm)", s.key_id));
        } else {
          problems.push_back(fmt::format(
              "cannot check the signature by key {} (gpgv error code {})", s.key_id, s.error_code));
        }
        break;
      case SigState::kBad:  // handled before; kept for the switch to be complete
      case SigState::kUnknown:
        break;
    }
  }
  if (!unknown.empty()) {
    std::string keys;
    for (const auto& k : unknown) keys += (keys.empty() ? "" : ", ") + k;
    problems[unknown_slot] = fmt::format(
        "{} by unknown {} {} (not in {} {})", unknown.size() == 1 ? "signature" : "signatures",
        unknown.size() == 1 ? "key" : "keys", keys, keyrings.size() == 1 ? "keyring" : "keyrings",
        QuotedList(keyrings));
  }
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// ---------------------------------------------------------------------------
// Running gpgv

struct Request {
  std::string kind;  // "InRelease" or "Release"
  std::string origin;
  std::vector<fs::path> keyrings;
  // Detached: the signature file and the data; clearsigned: the file only.
  std::optional<fs::path> signature;
  fs::path data;
  std::string no_signature;  // what "no signature" means for this kind
};

Result<TempDir> MakeScratch() {
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  if (ec) tmp = "/tmp";
  return TempDir::Create(tmp, "cairn-gpgv");
}

Result<fs::path> Absolute(const fs::path& p, const std::string& what) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) return IoError(fmt::format("{}: {}", what, ec.message()));
  return abs;
}

// Runs gpgv and applies the policy; for a clearsigned file the text is read
// from `output`, for a detached signature the caller already has it.
Result<VerifiedRelease> RunGpgv(const Request& req, const TempDir& scratch,
                                const std::optional<fs::path>& output) {
  const std::string prefix = fmt::format("{} '{}'", req.kind, req.origin);
  if (req.keyrings.empty())
    return NotFoundError(
        fmt::format("{}: no keyring to verify it with (expected at least one)", prefix));
  // gpgv needs no state, but without --homedir it would read ~/.gnupg (and its
  // trustedkeys.kbx); an empty private directory keeps the user's setup out.
  fs::path home = scratch.path() / "gnupg";
  // 0700: gpgv warns about a homedir others can read.
  if (::mkdir(home.c_str(), 0700) != 0)
    return ErrnoError(fmt::format("cannot create '{}'", home.string()), errno);

  ProcessOptions opts;
  opts.argv = {"gpgv", "--homedir", home.string(), "--status-fd", "1",
               // apt's flag too: a clock skew between key and signature is not an attack.
               "--ignore-time-conflict"};
  if (output) {
    opts.argv.push_back("--output");
    opts.argv.push_back(output->string());
  }
  for (size_t i = 0; i < req.keyrings.size(); ++i) {
    CAIRN_ASSIGN_OR_RETURN(fs::path ring, PrepareKeyring(req.keyrings[i], scratch.path(), i));
    opts.argv.push_back("--keyring");
    opts.argv.push_back(ring.string());
  }
  opts.argv.push_back("--");
  if (req.signature) opts.argv.push_back(req.signature->string());
  opts.argv.push_back(req.data.string());
  // C locale: stderr (shown on failure) in English; GNUPGHOME for any helper gpgv might start.
  opts.env_set = {{"LC_ALL", "C"}, {"GNUPGHOME", home.string()}};
  opts.env_unset = {"LANGUAGE"};
  opts.timeout = kGpgvTimeout;

  auto run = RunProcess(opts);
  if (!run.ok()) {
    Error e = std::move(run).error().Context(fmt::format("verifying {}", prefix));
    if (e.code() == Code::kTool) e.Hint("install the 'gpgv' package");
    return e;
  }
  const ProcessResult& r = *run;
  if (r.timed_out || r.term_signal != 0)
    return FailedProcessError(opts, r).Context(fmt::format("verifying {}", prefix));
  GpgvStatus st = ParseStatus(r.stdout_data);

  for (const Signature& s : st.signatures) {
    if (s.state == SigState::kBad)
      return IntegrityError(
          fmt::format("{}: bad signature by key {} (the file was modified)", prefix, s.key_id));
  }
  if (!st.errors.empty())
    return IntegrityError(
        fmt::format("{}: gpgv could not process the file (ERROR {})", prefix, st.errors.front()));
  if (st.signatures.empty()) {
    if (st.no_data) return IntegrityError(fmt::format("{}: {}", prefix, req.no_signature));
    return FailedProcessError(opts, r).Context(fmt::format("verifying {}", prefix));
  }

  VerifiedRelease verified;
  bool only_missing_keys = true;  // every signature that is not good lacks its key
  for (const Signature& s : st.signatures) {
    bool good = s.state == SigState::kGood && s.valid && !kWeakDigests.count(s.hash_algo) &&
                !s.primary_fingerprint.empty();
    if (good) {
      verified.signer_fingerprints.push_back(s.primary_fingerprint);
    } else if (!(s.state == SigState::kError && s.error_code == kErrNoPublicKey)) {
      only_missing_keys = false;
    }
  }
  if (verified.signer_fingerprints.empty()) {
    std::string problems = DescribeProblems(st, req.keyrings);
    // A signature without any verdict: gpgv stopped half-way.
    if (problems.empty())
      return FailedProcessError(opts, r).Context(fmt::format("verifying {}", prefix));
    return IntegrityError(fmt::format("{}: {}", prefix, problems));
  }
  // gpgv exits 2 when some signature's key is missing even though another is
  // good; any other failure with a good signature is unexpected.
  if (!(r.exit_code == 0 || (r.exit_code == 2 && only_missing_keys)))
    return FailedProcessError(opts, r).Context(fmt::format("verifying {}", prefix));

  std::sort(verified.signer_fingerprints.begin(), verified.signer_fingerprints.end());
  verified.signer_fingerprints.erase(
      std::unique(verified.signer_fingerprints.begin(), verified.signer_fingerprints.end()),
      verified.signer_fingerprints.end());
  if (output) {
    auto text = ReadFile(*output);
    if (!text.ok())
      return ToolError(fmt::format("{}: gpgv reported a good signature but wrote no text to '{}'",
                                   prefix, output->string()));
    verified.text = std::move(text).value();
  }
  return verified;
}

}  // namespace

Result<VerifiedRelease> VerifyInRelease(const fs::path& inrelease,
                                        const std::vector<fs::path>& keyrings,
                                        std::string_view origin) {
  Request req;
  req.kind = "InRelease";
  req.origin = std::string(origin);
  req.keyrings = keyrings;
  req.no_signature = "no signature (expected an OpenPGP clearsigned file)";
  const std::string prefix = fmt::format("InRelease '{}'", origin);
  struct stat st;
  if (::stat(inrelease.c_str(), &st) != 0)
    return NotFoundError(fmt::format("{}: '{}' does not exist", prefix, inrelease.string()));
  CAIRN_ASSIGN_OR_RETURN(req.data, Absolute(inrelease, prefix));
  CAIRN_ASSIGN_OR_RETURN(TempDir scratch, MakeScratch());
  // gpgv reads the file once and writes the signed part here, so the text
  // returned is exactly the text whose signature was checked.
  return RunGpgv(req, scratch, scratch.path() / "Release");
}

Result<VerifiedRelease> VerifyReleaseWithSignature(const fs::path& release,
                                                   const fs::path& release_gpg,
                                                   const std::vector<fs::path>& keyrings,
                                                   std::string_view origin) {
  Request req;
  req.kind = "Release";
  req.origin = std::string(origin);
  req.keyrings = keyrings;
  const std::string prefix = fmt::format("Release '{}'", origin);
  req.no_signature = fmt::format("no signature in '{}' (expected a detached OpenPGP signature)",
                                 release_gpg.string());
  auto text = ReadFile(release);
  if (!text.ok()) return std::move(text).error().Context(prefix);
  struct stat st;
  if (::stat(release_gpg.c_str(), &st) != 0)
    return NotFoundError(fmt::format("{}: '{}' does not exist", prefix, release_gpg.string()));
  CAIRN_ASSIGN_OR_RETURN(req.signature, Absolute(release_gpg, prefix));
  CAIRN_ASSIGN_OR_RETURN(TempDir scratch, MakeScratch());
  // Verify a private copy of the bytes already read, so a file changed
  // between verifying and reading cannot slip through.
  req.data = scratch.path() / "Release";
  CAIRN_TRY(WriteFileAtomic(req.data, *text, 0600));
  CAIRN_ASSIGN_OR_RETURN(VerifiedRelease verified, RunGpgv(req, scratch, std::nullopt));
  verified.text = std::move(text).value();
  return verified;
}

std::vector<fs::path> DefaultDebianKeyrings() {
  // The combined keyring holds every current Debian archive and release key;
  // apt itself uses the per-release files from /usr/share/keyrings through
  // /etc/apt/trusted.gpg.d, which are subsets of it.
  const fs::path combined = "/usr/share/keyrings/debian-archive-keyring.gpg";
  std::error_code ec;
  if (fs::is_regular_file(combined, ec)) return {combined};
  return {};
}

}  // namespace cairn::deb
