// WriteApkDatabase: apk's own state files, so `apk` and scanners (Trivy,
// Grype) read the image as if apk-tools had installed it.
#include <fmt/format.h>

#include "cairn/extract/archive.h"
#include "compose/apk_install.h"

namespace cairn::compose {
namespace {

// scripts.tar as apk-tools keeps it: uncompressed, one entry per script.
Result<std::string> ScriptsTar(const std::map<std::string, std::string>& scripts, int64_t epoch) {
  std::string out;
  CAIRN_ASSIGN_OR_RETURN(auto writer, extract::ArchiveWriter::Open(
                                          [&](std::string_view b) -> Status {
                                            out.append(b);
                                            return {};
                                          },
                                          extract::TarFormat::kPaxRestricted, 0, "scripts.tar"));
  for (const auto& [name, text] : scripts) {
    rootfs::FsEntry e;
    e.path = name;
    e.type = rootfs::FileType::kRegular;
    e.mode = 0755;
    e.size = text.size();
    e.mtime = epoch;
    CAIRN_TRY(writer.WriteHeader(e));
    CAIRN_TRY(writer.WriteData(text));
  }
  CAIRN_TRY(writer.Finish());
  return out;
}

std::string Lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += i + "\n";
  return out;
}

}  // namespace

Status WriteApkDatabase(const InstalledApks& installed, const ApkDatabaseSpec& spec,
                        rootfs::Tree& tree) {
  const int64_t t = spec.epoch;
  CAIRN_TRY(tree.AddDirectory("etc/apk", 0755, 0, 0, t));
  CAIRN_TRY(tree.AddDirectory("etc/apk/keys", 0755, 0, 0, t));
  std::vector<std::string> world = spec.world;
  std::sort(world.begin(), world.end());  // apk keeps world sorted
  world.erase(std::unique(world.begin(), world.end()), world.end());
  CAIRN_TRY(tree.AddFile("etc/apk/world", Lines(world), 0644, 0, 0, t));
  CAIRN_TRY(tree.AddFile("etc/apk/repositories", Lines(spec.repositories), 0644, 0, 0, t));
  CAIRN_TRY(tree.AddFile("etc/apk/arch", spec.arch + "\n", 0644, 0, 0, t));
  for (const auto& [name, pem] : spec.keys)
    CAIRN_TRY(tree.AddFile("etc/apk/keys/" + name, pem, 0644, 0, 0, t));

  // lib/apk/db follows a lib -> usr/lib symlink on usr-merged roots (Wolfi).
  CAIRN_TRY(tree.AddDirectory("lib/apk/db", 0755, 0, 0, t));
  CAIRN_TRY(tree.AddFile("lib/apk/db/installed", apk::FormatInstalledDb(installed.packages), 0644,
                         0, 0, t));
  CAIRN_TRY(tree.AddFile("lib/apk/db/triggers", apk::FormatTriggers(installed.packages), 0644, 0,
                         0, t));
  CAIRN_ASSIGN_OR_RETURN(std::string scripts, ScriptsTar(installed.scripts, t));
  CAIRN_TRY(tree.AddFile("lib/apk/db/scripts.tar", scripts, 0644, 0, 0, t));
  CAIRN_TRY(tree.AddFile("lib/apk/db/lock", "", 0600, 0, 0, t));
  CAIRN_TRY(tree.AddDirectory("var/cache/apk", 0755, 0, 0, t));
  return {};
}

}  // namespace cairn::compose
