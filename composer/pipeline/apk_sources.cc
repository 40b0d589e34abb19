#include "pipeline/apk_sources.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "cairn/apk/index_text.h"
#include "cairn/digest.h"
#include "cairn/extract/apk_index_archive.h"
#include "cairn/file_util.h"

namespace cairn::pipeline {
namespace fs = std::filesystem;

namespace {

RepositoryRef ParseRepositoryLine(const config::LString& line) {
  RepositoryRef ref;
  ref.loc = line.loc;
  std::string text = line.value;
  if (!text.empty() && text[0] == '@') {
    auto space = text.find_first_of(" \t");
    if (space != std::string::npos) {
      ref.tag = text.substr(1, space - 1);
      text = text.substr(text.find_first_not_of(" \t", space));
    }
  }
  while (!text.empty() && text.back() == '/') text.pop_back();
  ref.url = text;
  return ref;
}

std::string Basename(const std::string& url) {
  auto slash = url.find_last_of('/');
  return slash == std::string::npos ? url : url.substr(slash + 1);
}

}  // namespace

std::vector<RepositoryRef> BuildRepositories(const config::Image& image) {
  std::vector<RepositoryRef> out;
  for (const auto& r : image.contents.repositories) out.push_back(ParseRepositoryLine(r));
  for (const auto& r : image.contents.build_repositories) out.push_back(ParseRepositoryLine(r));
  return out;
}

std::vector<std::string> RuntimeRepositories(const config::Image& image) {
  // A repository on the build host (a path or file:// URL) means nothing
  // inside the image, and writing it would make the image depend on where
  // the checkout lives; only network repositories are kept for `apk` at run time.
  auto is_host_local = [](const std::string& line) {
    std::string url = line;
    if (!url.empty() && url[0] == '@') {
      auto space = url.find_first_of(" \t");
      url = space == std::string::npos ? "" : url.substr(url.find_first_not_of(" \t", space));
    }
    return url.find("://") == std::string::npos || url.rfind("file://", 0) == 0;
  };
  std::vector<std::string> out;
  for (const auto& r : image.contents.repositories)
    if (!is_host_local(r.value)) out.push_back(r.value);
  for (const auto& r : image.contents.runtime_repositories) out.push_back(r.value);
  return out;
}

Result<LoadedKeyring> LoadKeyring(const config::Image& image, fetch::Fetcher& fetcher) {
  LoadedKeyring out;
  // A keyring entry may name a directory of keys (like /etc/apk/keys).
  std::vector<config::LString> entries;
  for (const auto& k : image.contents.keyring) {
    std::error_code ec;
    if (k.value.find("://") == std::string::npos && fs::is_directory(k.value, ec)) {
      std::vector<std::string> names;
      for (const auto& e : fs::directory_iterator(k.value, ec))
        if (e.is_regular_file()) names.push_back(e.path().string());
      std::sort(names.begin(), names.end());
      for (auto& n : names) entries.push_back({n, k.loc});
      continue;
    }
    entries.push_back(k);
  }
  for (const auto& k : entries) {
    auto path = fetcher.Fetch({.url = k.value});
    if (!path.ok())
      return std::move(path).error().Context(fmt::format("fetching key '{}'", k.value)).At(k.loc);
    CAIRN_ASSIGN_OR_RETURN(std::string pem, ReadFile(*path));
    std::string name = Basename(k.value);
    auto key = extract::PublicKey::FromPem(pem, name);
    if (!key.ok()) return std::move(key).error().At(k.loc);
    out.keyring.Add(name, std::move(*key));
    out.locked.push_back({name, Sha256Hex(pem)});
    out.pem[name] = std::move(pem);
  }
  return out;
}

std::string IndexUrl(const std::string& repo, const std::string& arch) {
  return fmt::format("{}/{}/APKINDEX.tar.gz", repo, arch);
}

std::string PackageUrl(const std::string& repo, const std::string& arch,
                       const apk::PackageInfo& package) {
  return fmt::format("{}/{}/{}", repo, arch, package.FileName());
}

Result<std::vector<solve::ApkRepository>> LoadRepositories(const std::vector<RepositoryRef>& repos,
                                                           const std::string& arch,
                                                           const extract::Keyring& keyring,
                                                           bool allow_untrusted,
                                                           fetch::Fetcher& fetcher,
                                                           Reporter& reporter) {
  std::vector<solve::ApkRepository> out;
  for (const auto& repo : repos) {
    std::string url = IndexUrl(repo.url, arch);
    reporter.Debug(fmt::format("index {}", url));
    // Verified before it enters the cache, and again (cheaply) when read.
    int64_t signed_mtime = 0;
    auto verify = [&](const fs::path& file) -> Status {
      auto r = extract::ReadApkIndexArchive(file, keyring, allow_untrusted);
      if (!r.ok()) return NameSource(std::move(r).error(), file, url);
      signed_mtime = r->apkindex_mtime;
      return {};
    };
    // An index older than one accepted before is refused (a replayed mirror).
    auto date_of = [&](const fs::path&) -> Result<int64_t> { return signed_mtime; };
    auto path = fetcher.Fetch({.url = url, .verify = verify, .date_of = date_of});
    if (!path.ok())
      return std::move(path).error().Context(fmt::format("fetching the index of '{}'", repo.url));
    auto archive = extract::ReadApkIndexArchive(*path, keyring, allow_untrusted);
    if (!archive.ok())
      return std::move(archive).error().Context(fmt::format("reading the index of '{}'", repo.url));
    if (archive->trusted_key.empty())
      reporter.Warn(fmt::format("using the untrusted index '{}' (--allow-untrusted)", url));
    CAIRN_ASSIGN_OR_RETURN(auto packages, apk::ParseApkIndexText(archive->apkindex_text, url));
    for (auto& p : packages) p.repository = repo.url;
    reporter.Verbose(fmt::format("{}: {} packages ({})", url, packages.size(),
                                 archive->description));
    out.push_back(solve::ApkRepository{repo.url, repo.tag, std::move(packages)});
  }
  return out;
}

Error NameSource(Error error, const fs::path& temp, const std::string& url) {
  std::string message = error.message();
  const std::string from = temp.string();
  for (size_t at = message.find(from); !from.empty() && at != std::string::npos;
       at = message.find(from, at + url.size()))
    message.replace(at, from.size(), url);
  Error out(error.code(), std::move(message));
  if (error.loc().known()) out.At(error.loc());
  if (!error.hint().empty()) out.Hint(error.hint());
  for (const auto& c : error.context()) out.Context(c);
  return out;
}

Result<std::string> PackageCacheKey(const std::string& arch, const apk::PackageInfo& package) {
  std::string hash;
  if (package.checksum.size() > 2 && package.checksum.compare(0, 2, "Q1") == 0) {
    CAIRN_ASSIGN_OR_RETURN(std::string raw, Base64Decode(package.checksum.substr(2)));
    hash = HexEncode(raw);
  } else {
    return IntegrityError(fmt::format("package '{}-{}' has no usable checksum ('{}')", package.name,
                                      package.version, package.checksum));
  }
  return fmt::format("apk/{}/{}-{}.{}.apk", arch, package.name, package.version, hash);
}

}  // namespace cairn::pipeline
