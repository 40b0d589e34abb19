// Repository assembly: per architecture, write each package with the extract
// module's APK writer, collect its index record, then write the signed index.
#include "cairn/testrepo/repo_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "cairn/apk/index_text.h"
#include "cairn/extract/apk_writer.h"
#include "cairn/extract/keyring.h"
#include "cairn/file_util.h"

namespace cairn::testrepo {
namespace {

namespace fs = std::filesystem;

bool ValidArchName(std::string_view arch) {
  if (arch.empty()) return false;
  return std::all_of(arch.begin(), arch.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Result<apk::PackageInfo> BuildPackage(const PackageSource& src, std::string_view arch,
                                      const RepoOptions& options, const extract::Signer& signer,
                                      const fs::path& arch_dir) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<SourceFile> files, FilesForArch(src, arch));
  apk::PackageInfo info = src.info;
  info.arch = std::string(arch);
  info.build_time = options.epoch;
  info.installed_size = 0;
  extract::ApkPackageSpec spec;
  spec.signer = &signer;
  spec.control_mtime = options.epoch;
  for (SourceFile& f : files) {
    if (f.meta.type == rootfs::FileType::kRegular) info.installed_size += f.content.size();
    f.meta.mtime = options.epoch;
    spec.entries.push_back({std::move(f.meta), std::move(f.content), {}});
  }
  spec.pkginfo_text = FormatPkgInfo(info);
  CAIRN_ASSIGN_OR_RETURN(extract::WrittenPackage written,
                         extract::WriteApkPackage(arch_dir / info.FileName(), spec));
  info.checksum = written.checksum;
  info.size = written.size;
  info.datahash = written.datahash;
  return info;
}

}  // namespace

Result<RepoSummary> BuildRepo(const std::vector<PackageSource>& packages,
                              const RepoOptions& options, const fs::path& out_dir,
                              Reporter& reporter) {
  if (options.archs.empty()) return UsageError("no architecture to build for");
  for (const std::string& arch : options.archs) {
    if (!ValidArchName(arch)) {
      return UsageError(fmt::format(
          "invalid architecture name '{}' (expected an apk name such as 'x86_64')", arch));
    }
  }
  const fs::path public_key = options.public_key.empty()
                                  ? fs::path(options.private_key.string() + ".pub")
                                  : options.public_key;
  const std::string key_name =
      options.key_name.empty() ? public_key.filename().string() : options.key_name;
  if (key_name.empty() || key_name.find('/') != std::string::npos) {
    return UsageError(fmt::format("invalid key name '{}' (expected a file name)", key_name));
  }
  std::error_code ec;
  if (!fs::exists(options.private_key, ec)) {
    return NotFoundError(
        fmt::format("private key '{}' does not exist", options.private_key.string()));
  }
  if (!fs::exists(public_key, ec)) {
    return NotFoundError(fmt::format("public key '{}' does not exist", public_key.string()))
        .Hint("pass --public-key, or put the public key beside the private key as '<key>.pub'");
  }
  CAIRN_ASSIGN_OR_RETURN(extract::Signer signer,
                         extract::Signer::FromPemFile(options.private_key, key_name,
                                                      extract::SignatureAlgo::kRsaSha256));
  // Reject a public key that does not belong to the private key now, rather
  // than ship a repository nobody can verify.
  CAIRN_ASSIGN_OR_RETURN(extract::PublicKey pub, extract::PublicKey::FromPemFile(public_key));
  {
    CAIRN_ASSIGN_OR_RETURN(std::string sig, signer.Sign("cairn-mkrepo key check"));
    CAIRN_ASSIGN_OR_RETURN(bool ok, pub.Verify(signer.algo(), "cairn-mkrepo key check", sig));
    if (!ok) {
      return UsageError(fmt::format("public key '{}' does not match private key '{}'",
                                    public_key.string(), options.private_key.string()));
    }
  }

  fs::path parent = out_dir.parent_path();
  if (parent.empty()) parent = ".";
  CAIRN_TRY(MakeDirs(parent));
  CAIRN_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(parent, "mkrepo"));
  CAIRN_ASSIGN_OR_RETURN(std::string pub_pem, ReadFile(public_key));
  CAIRN_TRY(WriteFileAtomic(tmp.path() / key_name, pub_pem, 0644));

  RepoSummary summary;
  summary.key_name = key_name;
  summary.packages_per_arch = packages.size();
  for (const std::string& arch : options.archs) {
    Step step(reporter, fmt::format("building {} packages for {}", packages.size(), arch));
    const fs::path arch_dir = tmp.path() / arch;
    CAIRN_TRY(MakeDirs(arch_dir));
    std::string index;
    for (size_t i = 0; i < packages.size(); ++i) {
      const PackageSource& src = packages[i];
      reporter.Progress(i + 1, packages.size(), "writing",
                        fmt::format("{}-{}", src.info.name, src.info.version));
      auto info = BuildPackage(src, arch, options, signer, arch_dir);
      if (!info) {
        return std::move(info).error().Context(
            fmt::format("building package '{}' for {}", src.info.name, arch));
      }
      summary.total_bytes += info->size;
      index += apk::FormatIndexRecord(*info);
      index += '\n';
    }
    const fs::path index_path = arch_dir / "APKINDEX.tar.gz";
    CAIRN_TRY_CTX(extract::WriteApkIndexArchive(index_path, index, options.description, &signer,
                                                options.epoch),
                  fmt::format("writing the {} index", arch));
    summary.total_bytes += fs::file_size(index_path, ec);
    step.Done();
  }
  CAIRN_TRY(tmp.CommitAs(out_dir));
  return summary;
}

}  // namespace cairn::testrepo
