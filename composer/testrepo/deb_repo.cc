// The test archive writer: build each .deb once, index it per architecture,
// then write Release and sign it. Signing runs gpg in a GnuPG home made for
// the call and removed afterwards, so the user's keyrings are never read or
// changed and parallel tests never share an agent.
#include "cairn/testrepo/deb_repo.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <system_error>
#include <tuple>

#include "cairn/deb/control.h"
#include "cairn/deb/release.h"
#include "cairn/deb/version.h"
#include "cairn/digest.h"
#include "cairn/extract/compressed_file.h"
#include "cairn/file_util.h"
#include "cairn/subprocess.h"

namespace cairn::testrepo {
namespace {

namespace fs = std::filesystem;

// The characters Debian policy (5.6.1, 5.6.12) allows; checked because the
// values become path components of the pool.
bool ValidName(std::string_view s) {
  if (s.size() < 2 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
  });
}

bool ValidVersion(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '+' || c == '~' || c == '-' || c == ':';
  });
}

// A suite is one directory under dists/.
bool ValidSuite(std::string_view s) {
  return !s.empty() && s.front() != '.' && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '+' || c == '-' || c == '_';
  });
}

bool ValidArch(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// One package after BuildDeb, with what its index stanza needs.
struct BuiltDeb {
  std::string name, version, arch;
  std::string control;  ///< the control text without trailing blank lines
  std::string pool_path;
  uint64_t size = 0;
  std::string md5, sha256;
  std::string bytes;  ///< the .deb, until it is written
};

Result<BuiltDeb> BuildOne(const DebRepoPackage& p, size_t index) {
  std::string where = fmt::format("package {}", index + 1);
  auto paragraphs = deb::ParseControlFile(p.deb.control_text, where);
  if (!paragraphs.ok())
    return UsageError(fmt::format("bad control text: {}", paragraphs.error().message()));
  if (paragraphs->size() != 1)
    return UsageError(fmt::format("the control text of {} has {} paragraphs (expected one)", where,
                                  paragraphs->size()));
  const deb::Paragraph& para = paragraphs->front();
  BuiltDeb b;
  b.name = para.Get("Package");
  b.version = para.Get("Version");
  b.arch = para.Get("Architecture");
  if (!ValidName(b.name))
    return UsageError(fmt::format("{} has an invalid or no 'Package' field ('{}')", where, b.name));
  if (!ValidVersion(b.version))
    return UsageError(
        fmt::format("package '{}' has an invalid or no 'Version' field ('{}')", b.name, b.version));
  if (b.arch != p.arch)
    return UsageError(fmt::format("package '{}' says 'Architecture: {}' but is listed for '{}'",
                                  b.name, b.arch, p.arch));
  std::string source = para.Get("Source");
  source = source.substr(0, source.find(' '));
  if (!source.empty() && !ValidName(source))
    return UsageError(fmt::format("package '{}' has an invalid 'Source' field ('{}')", b.name,
                                  para.Get("Source")));

  auto bytes = BuildDeb(p.deb);
  if (!bytes.ok()) return std::move(bytes).error().Context(fmt::format("building '{}'", b.name));
  b.control = p.deb.control_text;
  while (!b.control.empty() && (b.control.back() == '\n' || b.control.back() == ' '))
    b.control.pop_back();
  b.pool_path = DebPoolPath(b.name, source, b.version, b.arch);
  b.size = bytes->size();
  b.md5 = Md5Hex(*bytes);
  b.sha256 = Sha256Hex(*bytes);
  b.bytes = std::move(*bytes);
  return b;
}

// The deb822 stanza of a Packages index, as dpkg-scanpackages writes it:
// the control file, then where the .deb is and its checksums.
std::string Stanza(const BuiltDeb& b) {
  return fmt::format("{}\nFilename: {}\nSize: {}\nMD5sum: {}\nSHA256: {}\n", b.control, b.pool_path,
                     b.size, b.md5, b.sha256);
}

// A GnuPG home of its own under /tmp: gpg-agent's socket path must fit in
// sun_path (108 bytes), which a home under a deep build tree may not. The
// agent gpg starts is stopped before the directory goes.
class GnupgHome {
 public:
  static Result<GnupgHome> Create() {
    CAIRN_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("/tmp", "cairn-gpg"));
    std::error_code ec;
    fs::permissions(dir.path(), fs::perms::owner_all, ec);  // gpg warns about others' access
    return GnupgHome(std::move(dir));
  }
  GnupgHome(GnupgHome&&) = default;
  ~GnupgHome() {
    if (dir_.path().empty()) return;
    // Best effort: a destructor does not report (style.md §4).
    (void)RunProcess({.argv = {"gpgconf", "--homedir", dir_.path().string(), "--kill", "all"},
                      .capture_stdout = false});
  }

  /// Runs gpg in this home; a non-zero exit is a kTool error with gpg's stderr.
  Result<std::string> Gpg(std::vector<std::string> args,
                          std::optional<std::string> stdin_data = std::nullopt) const {
    ProcessOptions opts;
    opts.argv = {"gpg", "--batch", "--no-tty", "--homedir", dir_.path().string()};
    // Keys without a passphrase, and never a pinentry prompt.
    opts.argv.insert(opts.argv.end(), {"--pinentry-mode", "loopback", "--passphrase", ""});
    opts.argv.insert(opts.argv.end(), args.begin(), args.end());
    opts.stdin_data = std::move(stdin_data);
    opts.env_set = {{"LC_ALL", "C"}};
    opts.env_unset = {"GNUPGHOME", "GPG_AGENT_INFO"};
    opts.timeout = std::chrono::minutes(2);
    CAIRN_ASSIGN_OR_RETURN(ProcessResult run, RunProcess(opts));
    if (!run.ok()) return FailedProcessError(opts, run);
    return std::move(run.stdout_data);
  }

 private:
  explicit GnupgHome(TempDir dir) : dir_(std::move(dir)) {}
  TempDir dir_;
};

// `release` clearsigned by the (first) secret key in `secret_key`.
Result<std::string> ClearSign(const std::string& release, const fs::path& secret_key) {
  std::error_code ec;
  if (!fs::is_regular_file(secret_key, ec))
    return NotFoundError(
        fmt::format("secret key '{}' does not exist (expected an OpenPGP secret key file)",
                    secret_key.string()));
  CAIRN_ASSIGN_OR_RETURN(GnupgHome home, GnupgHome::Create());
  auto imported = home.Gpg({"--import", secret_key.string()});
  if (!imported.ok())
    return std::move(imported).error().Context(
        fmt::format("importing secret key '{}'", secret_key.string()));
  // SHA512, as the Debian archive signs: apt rejects SHA-1 signatures.
  auto signed_text = home.Gpg({"--digest-algo", "SHA512", "--clearsign"}, release);
  if (!signed_text.ok()) return std::move(signed_text).error().Context("signing InRelease");
  return signed_text;
}

}  // namespace

std::string DebPoolPath(const std::string& name, const std::string& source,
                        const std::string& version, const std::string& arch) {
  const std::string& src = source.empty() ? name : source;
  // Debian's pool splits lib* sources by four letters, the rest by one.
  std::string prefix =
      src.rfind("lib", 0) == 0 && src.size() > 3 ? src.substr(0, 4) : src.substr(0, 1);
  size_t colon = version.find(':');
  std::string file_version = colon == std::string::npos ? version : version.substr(colon + 1);
  return fmt::format("pool/main/{}/{}/{}_{}_{}.deb", prefix, src, name, file_version, arch);
}

Status WriteDebRepository(const DebRepoSpec& spec, const fs::path& root) {
  if (!ValidSuite(spec.suite))
    return UsageError(fmt::format(
        "invalid suite name '{}' (expected letters, digits and '.+-_', e.g. 'bookworm')",
        spec.suite));
  if (spec.archs.empty())
    return UsageError("no architecture for the archive (expected e.g. 'amd64')");
  std::set<std::string> archs;
  for (const std::string& a : spec.archs) {
    if (!ValidArch(a) || a == "all")
      return UsageError(fmt::format(
          "invalid archive architecture '{}' (expected a Debian name such as 'amd64')", a));
    if (!archs.insert(a).second)
      return UsageError(fmt::format("architecture '{}' is listed twice", a));
  }

  // Build every .deb once, in the caller's order, then sort for the indexes.
  std::vector<BuiltDeb> built;
  std::set<std::string> pool_paths;
  for (size_t i = 0; i < spec.packages.size(); ++i) {
    const DebRepoPackage& p = spec.packages[i];
    if (p.arch != "all" && archs.count(p.arch) == 0)
      return UsageError(fmt::format(
          "package {} is for architecture '{}', which the archive does not have (expected 'all' "
          "or one of '{}')",
          i + 1, p.arch, fmt::join(spec.archs, "', '")));
    CAIRN_ASSIGN_OR_RETURN(BuiltDeb b, BuildOne(p, i));
    if (!pool_paths.insert(b.pool_path).second)
      return UsageError(
          fmt::format("package '{} {}' ({}) is listed twice", b.name, b.version, b.arch));
    CAIRN_TRY(MakeDirs((root / b.pool_path).parent_path()));
    CAIRN_TRY(WriteFileAtomic(root / b.pool_path, b.bytes));
    b.bytes.clear();
    built.push_back(std::move(b));
  }
  std::sort(built.begin(), built.end(), [](const BuiltDeb& a, const BuiltDeb& b) {
    if (a.name != b.name) return a.name < b.name;
    if (int c = deb::CompareVersions(a.version, b.version); c != 0) return c < 0;
    return a.arch < b.arch;
  });

  // The indexes; Release lists each file's size and SHA256, sorted by path.
  const fs::path suite_dir = root / "dists" / spec.suite;
  std::map<std::string, std::string> index_files;  // path under suite_dir -> bytes
  for (const std::string& arch : archs) {
    std::string text;
    for (const BuiltDeb& b : built) {
      if (b.arch != arch && b.arch != "all") continue;
      if (!text.empty()) text += "\n";
      text += Stanza(b);
    }
    CAIRN_ASSIGN_OR_RETURN(std::string xz, extract::CompressBytes(text, extract::Compression::kXz));
    std::string dir = "main/binary-" + arch;
    index_files[dir + "/Packages"] = std::move(text);
    index_files[dir + "/Packages.xz"] = std::move(xz);
  }

  std::string release;
  release +=
      fmt::format("Origin: {}\nLabel: {}\nSuite: {}\nCodename: {}\n", spec.origin, spec.label,
                  spec.suite, spec.codename.empty() ? spec.suite : spec.codename);
  release += fmt::format("Date: {}\n", deb::FormatReleaseDate(spec.epoch));
  if (spec.valid_until)
    release += fmt::format("Valid-Until: {}\n", deb::FormatReleaseDate(*spec.valid_until));
  release += fmt::format("Architectures: {}\nComponents: main\n", fmt::join(archs, " "));
  release += "Acquire-By-Hash: no\nSHA256:\n";
  for (const auto& [path, bytes] : index_files)
    release += fmt::format(" {} {:>16} {}\n", Sha256Hex(bytes), bytes.size(), path);

  for (const auto& [path, bytes] : index_files) {
    CAIRN_TRY(MakeDirs((suite_dir / path).parent_path()));
    CAIRN_TRY(WriteFileAtomic(suite_dir / path, bytes));
  }
  CAIRN_TRY(WriteFileAtomic(suite_dir / "Release", release));
  if (spec.secret_key.empty()) {
    // An unsigned archive has no InRelease; drop one a signed run left behind.
    std::error_code ec;
    fs::remove(suite_dir / "InRelease", ec);
    if (ec)
      return IoError(
          fmt::format("cannot remove '{}': {}", (suite_dir / "InRelease").string(), ec.message()));
    return {};
  }
  CAIRN_ASSIGN_OR_RETURN(std::string inrelease, ClearSign(release, spec.secret_key));
  return WriteFileAtomic(suite_dir / "InRelease", inrelease);
}

}  // namespace cairn::testrepo
