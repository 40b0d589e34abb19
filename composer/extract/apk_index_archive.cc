#include "cairn/extract/apk_index_archive.h"

#include <fmt/format.h>

#include "cairn/extract/archive.h"
#include "cairn/extract/gzip_members.h"
#include "extract/input_file.h"

namespace cairn::extract {
namespace {

// Alpine's largest index (edge community, x86_64) inflates to ~10 MiB.
constexpr uint64_t kMaxMemberSize = 256ull << 20;
constexpr size_t kMaxTextSize = 1ull << 30;

}  // namespace

Result<ApkIndexArchive> ReadApkIndexArchive(const std::filesystem::path& path,
                                            const Keyring& keyring, bool allow_untrusted) {
  const std::string what = fmt::format("index '{}'", path.string());
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(path));
  CAIRN_ASSIGN_OR_RETURN(auto members, FindGzipMembers(path));
  if (members.empty()) return IntegrityError(fmt::format("{} is empty", what));
  for (const auto& m : members) {
    if (m.size > kMaxMemberSize)
      return IntegrityError(fmt::format("{} has a gzip member of {} bytes (at most {} expected)",
                                        what, m.size, kMaxMemberSize));
  }

  CAIRN_ASSIGN_OR_RETURN(std::string first, file.ReadRange(members[0].offset, members[0].size));
  CAIRN_ASSIGN_OR_RETURN(auto signatures, ReadSignatureMember(first, what));
  std::string content;
  if (!signatures.empty()) {
    if (members.size() != 2)
      return IntegrityError(
          fmt::format("{} has {} gzip members (expected a signature member and an index member)",
                      what, members.size()));
    CAIRN_ASSIGN_OR_RETURN(content, file.ReadRange(members[1].offset, members[1].size));
  } else {
    if (members.size() != 1)
      return IntegrityError(
          fmt::format("{} has {} gzip members but no signature member (expected one index member)",
                      what, members.size()));
    content = std::move(first);
  }

  ApkIndexArchive out;
  CAIRN_ASSIGN_OR_RETURN(
      SignatureCheck check,
      CheckSignatures(
          signatures, keyring,
          [&](const std::function<Status(std::string_view)>& sink) { return sink(content); },
          allow_untrusted, what));
  out.signatures = std::move(check.signatures);
  out.trusted_key = std::move(check.trusted_key);

  CAIRN_ASSIGN_OR_RETURN(auto reader, ArchiveReader::OpenMemory(content, what));
  ArchiveEntry entry;
  bool have_index = false;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool more, reader.Next(&entry));
    if (!more) break;
    if (entry.pathname == "APKINDEX" && entry.type == rootfs::FileType::kRegular) {
      out.apkindex_mtime = entry.mtime;
      CAIRN_ASSIGN_OR_RETURN(out.apkindex_text, reader.ReadAllData(kMaxTextSize));
      have_index = true;
    } else if (entry.pathname == "DESCRIPTION" && entry.type == rootfs::FileType::kRegular) {
      CAIRN_ASSIGN_OR_RETURN(out.description, reader.ReadAllData(kMaxTextSize));
    }
  }
  if (!have_index) return IntegrityError(fmt::format("{} has no APKINDEX entry", what));
  return out;
}

}  // namespace cairn::extract
