#include "pipeline/deb_sources.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "cairn/deb/apt_sources.h"
#include "cairn/deb/inrelease.h"
#include "cairn/deb/release.h"
#include "cairn/digest.h"
#include "cairn/extract/compressed_file.h"
#include "cairn/file_util.h"
#include "cairn/interrupt.h"
#include "pipeline/apk_sources.h"

namespace cairn::pipeline {
namespace fs = std::filesystem;
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string TrimSlash(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

// The largest decompressed index accepted (bookworm main amd64 is ~50 MB).
constexpr uint64_t kMaxIndexBytes = 1ull << 30;

struct IndexFile {
  std::string path;  ///< relative to the suite directory
  const deb::ReleaseEntry* entry = nullptr;
};

// The best-compressed form of an index the Release lists.
std::optional<IndexFile> FindIndex(const deb::Release& release, const std::string& dir) {
  for (const char* ext : {".xz", ".gz", ""}) {
    std::string path = dir + "/Packages" + ext;
    if (const deb::ReleaseEntry* e = release.FindFile(path)) return IndexFile{path, e};
  }
  return std::nullopt;
}

Result<deb::Release> FetchRelease(const DebSuiteRef& s, int64_t now, fetch::Fetcher& fetcher) {
  std::string url = s.SuiteUrl() + "/InRelease";
  // Everything that can refuse a Release runs inside the fetcher's check, so
  // a refused one never replaces the cached copy (as apt keeps its old lists).
  std::optional<deb::Release> accepted;
  auto verify = [&](const fs::path& file) -> Status {
    auto v = deb::VerifyInRelease(file, s.keyrings, url);
    if (!v.ok()) return NameSource(std::move(v).error(), file, url);
    CAIRN_ASSIGN_OR_RETURN(deb::Release release, deb::ParseRelease(v->text, url));
    if (!release.suite.empty() && release.suite != s.suite && release.codename != s.suite)
      return IntegrityError(fmt::format("'{}' describes suite '{}' (codename '{}'), not '{}'",
                                        url, release.suite, release.codename, s.suite))
          .At(s.loc);
    if (!s.allow_expired) {
      Status fresh = deb::CheckReleaseFresh(release, now, url);
      if (!fresh.ok()) return std::move(fresh).error().At(s.loc);
    }
    accepted = std::move(release);
    return {};
  };
  // An older Release than one accepted before is refused (a replayed mirror).
  auto date_of = [&](const fs::path&) -> Result<int64_t> { return accepted ? accepted->date : 0; };
  auto path = fetcher.Fetch({.url = url, .verify = verify, .date_of = date_of});
  if (!path.ok()) return std::move(path).error().Context(fmt::format("reading suite '{}'", s.suite));
  if (!accepted) return InternalError(fmt::format("'{}' was not verified", url));
  return std::move(*accepted);
}

Result<std::vector<deb::Package>> FetchIndex(const DebSuiteRef& s, const deb::Release& release,
                                             const std::string& component,
                                             const std::string& arch, fetch::Fetcher& fetcher) {
  std::string dir = component + "/binary-" + arch;
  auto index = FindIndex(release, dir);
  if (!index)
    return NotFoundError(fmt::format("suite '{}' at '{}' has no '{}' index for '{}'", s.suite,
                                     s.url, component, arch))
        .At(s.loc)
        .Hint(release.components.empty()
                  ? std::string("check the component and architecture names")
                  : fmt::format("the suite's components are {}",
                                fmt::join(release.components, ", ")));
  std::string plain = fmt::format("{}/{}", s.SuiteUrl(), index->path);
  std::string url = release.acquire_by_hash
                        ? fmt::format("{}/{}/by-hash/SHA256/{}", s.SuiteUrl(), dir,
                                      index->entry->sha256)
                        : plain;
  fetch::FetchRequest request{.url = url,
                              .cache_key = fmt::format("deb/index/{}{}", index->entry->sha256,
                                                       fs::path(index->path).extension().string()),
                              .immutable = true,
                              .expected_size = index->entry->size,
                              .expected_sha256 = index->entry->sha256};
  auto path = fetcher.Fetch(request);
  if (!path.ok() && url != plain) {
    // As apt does: a mirror may lack the by-hash copy; the checksum still binds the plain one.
    request.url = plain;
    path = fetcher.Fetch(request);
  }
  if (!path.ok())
    return std::move(path).error().Context(fmt::format("fetching the '{}' index of '{}'", dir,
                                                       s.suite));
  CAIRN_ASSIGN_OR_RETURN(std::string text, extract::ReadCompressedFile(*path, kMaxIndexBytes));
  std::string repository = fmt::format("{} {}/{} {}", s.url, s.suite, component, arch);
  return deb::ParsePackagesIndex(text, url, repository, s.url);
}

}  // namespace

Result<std::string> DebianArch(const std::string& apk_arch) {
  static const std::pair<const char*, const char*> kArchs[] = {
      {"x86_64", "amd64"}, {"aarch64", "arm64"},     {"armv7", "armhf"}, {"x86", "i386"},
      {"ppc64le", "ppc64el"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
  };
  for (const auto& [apk, deb] : kArchs)
    if (apk_arch == apk) return std::string(deb);
  return ConfigError(SourceLoc{}, fmt::format("architecture '{}' has no Debian port", apk_arch));
}

Result<std::vector<DebSuiteRef>> PlanDebianSuites(const config::Image& image,
                                                  const fs::path& etc_apt) {
  const config::Debian& d = image.contents.debian;
  std::optional<std::vector<deb::AptSource>> host;  // read on first need
  std::vector<DebSuiteRef> out;
  for (const config::DebianSource& src : d.sources) {
    std::vector<std::string> components;
    for (const auto& c : src.components) components.push_back(c.value);
    if (components.empty()) components.push_back("main");
    std::vector<fs::path> keyrings;
    for (const auto& k : src.keyring) keyrings.emplace_back(k.value);
    if (keyrings.empty()) keyrings = deb::DefaultDebianKeyrings();
    if (keyrings.empty())
      return NotFoundError("no keyring to verify Debian suites with")
          .At(src.loc)
          .Hint("install 'debian-archive-keyring' or name a keyring under 'keyring:'");
    for (const auto& suite : src.suites) {
      DebSuiteRef ref;
      ref.suite = suite.value;
      ref.components = components;
      ref.keyrings = keyrings;
      ref.loc = suite.loc;
      ref.allow_expired = d.allow_expired.value_or(false);
      if (!src.url.value.empty()) {
        ref.url = TrimSlash(src.url.value);
      } else {
        const char* var = EndsWith(ref.suite, "-security") ? "CAIRN_DEBIAN_SECURITY_ARCHIVE"
                                                           : "CAIRN_DEBIAN_ARCHIVE";
        if (const char* env = std::getenv(var); env && *env) {
          ref.url = TrimSlash(env);
        } else {
          if (!host) {
            CAIRN_ASSIGN_OR_RETURN(auto read, deb::ReadHostAptSources(etc_apt));
            host = std::move(read);
          }
          auto found = deb::FindArchiveForSuite(*host, ref.suite);
          if (!found)
            return ConfigError(suite.loc,
                               fmt::format("no archive URL for suite '{}': the source has no "
                                           "'url', ${} is not set and the host's apt sources "
                                           "('{}') do not list it",
                                           ref.suite, var, etc_apt.string()))
                .Hint("add 'url: <archive root>' to the source");
          ref.url = TrimSlash(*found);
        }
      }
      out.push_back(std::move(ref));
    }
  }
  return out;
}

Result<std::vector<lock::LockedKey>> LockDebianKeyrings(const std::vector<DebSuiteRef>& suites) {
  std::vector<lock::LockedKey> out;
  for (const auto& s : suites) {
    for (const auto& k : s.keyrings) {
      bool seen = false;
      for (const auto& o : out) seen = seen || o.name == k.string();
      if (seen) continue;
      CAIRN_ASSIGN_OR_RETURN(std::string bytes, ReadFile(k));
      out.push_back({k.string(), Sha256Hex(bytes)});
    }
  }
  return out;
}

Result<std::vector<deb::Package>> LoadDebianIndexes(const std::vector<DebSuiteRef>& suites,
                                                    const std::string& deb_arch, int64_t now,
                                                    fetch::Fetcher& fetcher, Reporter& reporter) {
  std::vector<deb::Package> universe;
  for (const DebSuiteRef& s : suites) {
    CAIRN_TRY(CheckInterrupted());
    CAIRN_ASSIGN_OR_RETURN(deb::Release release, FetchRelease(s, now, fetcher));
    // Archives that say so publish "all" packages in every binary-<arch> index.
    // As apt decides: "all" has its own index only where the Release lists
    // "all" and does not say its packages are in every binary-<arch> index.
    bool all_separate =
        std::find(release.architectures.begin(), release.architectures.end(), "all") !=
            release.architectures.end() &&
        release.paragraph.Find("No-Support-for-Architecture-all") == nullptr;
    for (const std::string& component : s.components) {
      std::vector<std::string> archs = {deb_arch};
      if (all_separate && FindIndex(release, component + "/binary-all")) archs.push_back("all");
      for (const std::string& arch : archs) {
        CAIRN_ASSIGN_OR_RETURN(auto packages, FetchIndex(s, release, component, arch, fetcher));
        reporter.Verbose(fmt::format("{} {}/{} {}: {} packages", s.url, s.suite, component, arch,
                                     packages.size()));
        for (auto& p : packages) universe.push_back(std::move(p));
      }
    }
  }
  return universe;
}

std::string DebPackageUrl(const deb::Package& package) {
  return package.archive_url + "/" + package.filename;
}

std::string DebCacheKey(const std::string& sha256) { return "deb/pool/" + sha256 + ".deb"; }

}  // namespace cairn::pipeline
