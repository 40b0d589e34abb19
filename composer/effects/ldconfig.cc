// WriteLdSoCache: ldconfig's directory scan (glibc elf/ldconfig.c search_dir,
// create_links) over rootfs::Tree, then the cache file.
//
// Directory order decides which path wins for a soname found twice: the
// ld.so.conf directories come first, then the trusted ones in the order
// glibc's add_system_dir adds them for the architecture. Two paths that
// resolve to the same directory (usr-merged "lib" -> "usr/lib") are scanned
// once, under the name seen first, as ldconfig does by inode.
#include <fmt/format.h>

#include <map>
#include <set>

#include "cairn/effects/ldconfig.h"
#include "effects/elf_soname.h"
#include "effects/ld_so_conf.h"

namespace cairn::effects {
namespace {

using internal::ElfLibrary;

struct ArchInfo {
  std::set<uint16_t> machines;  // empty = every supported machine
  std::vector<std::string> trusted;
};

ArchInfo ArchFor(std::string_view arch) {
  // glibc's add_system_dir for slibdir "/lib" and libdir "/usr/lib" adds
  // lib, lib64 and the ABI variant; multiarch (Debian-style) dirs follow.
  if (arch == "x86_64")
    return {{internal::kEmX8664, internal::kEm386},
            {"/lib", "/lib64", "/libx32", "/usr/lib", "/usr/lib64", "/usr/libx32",
             "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"}};
  if (arch == "aarch64")
    return {{internal::kEmAarch64, internal::kEmArm},
            {"/lib", "/lib64", "/libilp32", "/usr/lib", "/usr/lib64", "/usr/libilp32",
             "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"}};
  if (arch == "x86")
    return {{internal::kEm386}, {"/lib", "/usr/lib", "/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu"}};
  if (arch == "armv7" || arch == "armhf")
    return {{internal::kEmArm},
            {"/lib", "/usr/lib", "/lib/arm-linux-gnueabihf", "/usr/lib/arm-linux-gnueabihf"}};
  return {{},
          {"/lib", "/lib64", "/libx32", "/libilp32", "/usr/lib", "/usr/lib64", "/usr/libx32",
           "/usr/libilp32", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
           "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"}};
}

// The cache flags glibc's per-architecture readelflib.c assigns; 0 = not indexed.
int32_t FlagsFor(const ElfLibrary& lib) {
  switch (lib.machine) {
    case internal::kEmX8664:
      return (lib.is64 ? kLdFlagX8664Lib64 : kLdFlagX8664LibX32) | kLdFlagElfLibc6;
    case internal::kEm386:
      return lib.is64 ? 0 : kLdFlagElfLibc6;
    case internal::kEmAarch64:
      return lib.is64 ? (kLdFlagAarch64Lib64 | kLdFlagElfLibc6) : 0;
    case internal::kEmArm: {
      if (lib.is64) return 0;
      constexpr uint32_t kEabiMask = 0xff000000;
      constexpr uint32_t kEabiVer5 = 0x05000000;
      constexpr uint32_t kFloatHard = 0x400;
      constexpr uint32_t kFloatSoft = 0x200;
      if ((lib.e_flags & kEabiMask) == kEabiVer5) {
        if (lib.e_flags & kFloatHard) return kLdFlagArmLibHf | kLdFlagElfLibc6;
        if (lib.e_flags & kFloatSoft) return kLdFlagArmLibSf | kLdFlagElfLibc6;
      }
      return kLdFlagElfLibc6;
    }
    default:
      return 0;
  }
}

// glibc's _dl_is_dso: lib*.so*, ld-*.so*, ld.so.*, ld64.so.*.
bool LooksLikeDso(std::string_view name) {
  auto starts = [&](std::string_view p) { return name.substr(0, p.size()) == p; };
  return ((starts("lib") || starts("ld-")) && name.find(".so") != std::string_view::npos) ||
         starts("ld.so.") || starts("ld64.so.");
}

bool IsPrelinkTemp(std::string_view name) {
  constexpr std::string_view kSuffix = ".#prelink#";
  constexpr std::string_view kTemp = ".#prelink#.";
  if (name.size() >= kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix)
    return true;
  return name.size() >= kTemp.size() + 6 &&
         name.substr(name.size() - kTemp.size() - 6, kTemp.size()) == kTemp;
}

std::string JoinKey(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : fmt::format("{}/{}", dir, name);
}

std::string_view TreeKey(std::string_view abs) {
  while (!abs.empty() && abs.front() == '/') abs.remove_prefix(1);
  return abs;
}

// Identity of a file for "is this the same file": hard links share one.
std::string FileIdentity(const rootfs::Tree& tree, std::string_view key) {
  auto resolved = tree.Resolve(key);
  if (!resolved.ok()) return {};
  const rootfs::Node* n = tree.Find(*resolved);
  if (!n) return {};
  if (n->meta.type == rootfs::FileType::kHardlink) return n->meta.link_target;
  return *resolved;
}

struct DirLib {
  std::string name;
  int32_t flags = 0;
  bool is_link = false;
};

class Scanner {
 public:
  Scanner(rootfs::Tree& tree, int64_t epoch, const ArchInfo& arch, Reporter& reporter)
      : tree_(tree), epoch_(epoch), arch_(arch), reporter_(reporter) {}

  // Scans one directory (as written in the config) unless already seen.
  Status ScanDirectory(const std::string& dir) {
    auto resolved = tree_.Resolve(TreeKey(dir));
    if (!resolved.ok()) return {};  // a symlink loop: ldconfig cannot stat it either
    if (!resolved->empty()) {
      const rootfs::Node* n = tree_.Find(*resolved);
      if (!n || n->meta.type != rootfs::FileType::kDirectory) return {};
    }
    if (!seen_dirs_.insert(*resolved).second) return {};
    ++directories_;

    std::map<std::string, DirLib> libs;  // soname -> chosen file
    for (const std::string& name : internal::ListDirectory(tree_, *resolved)) {
      if (!LooksLikeDso(name) || IsPrelinkTemp(name)) continue;
      CAIRN_TRY(Consider(dir, *resolved, name, libs));
    }
    for (const auto& [soname, lib] : libs) {
      // Links are never made to links; the soname path is what the cache records.
      if (!lib.is_link) CAIRN_TRY(CreateLink(dir, *resolved, lib.name, soname));
      std::string path = dir == "/" ? "/" + soname : fmt::format("{}/{}", dir, soname);
      entries_.push_back({soname, std::move(path), lib.flags});
    }
    return {};
  }

  std::vector<LdCacheEntry> TakeEntries() { return std::move(entries_); }
  bool big_endian() const { return big_endian_; }
  size_t directories() const { return directories_; }

 private:
  Status Consider(const std::string& dir, const std::string& resolved_dir, const std::string& name,
                  std::map<std::string, DirLib>& libs) {
    const std::string key = JoinKey(resolved_dir, name);
    const rootfs::Node* node = tree_.Find(key);
    if (!node) return {};
    bool is_link = node->meta.type == rootfs::FileType::kSymlink;
    const rootfs::Node* file = node;
    if (is_link) {
      auto target = tree_.Resolve(key);
      if (!target.ok()) return {};
      file = tree_.Find(*target);
      if (!file) {
        // ldconfig removes stale versioned links; "libfoo.so" dev links stay.
        if (name.find(".so.") != std::string::npos) {
          tree_.Remove(key);
          reporter_.Verbose(fmt::format("ldconfig: removed stale link '{}/{}'", dir, name));
        }
        return {};
      }
    }
    if (file->meta.type != rootfs::FileType::kRegular &&
        file->meta.type != rootfs::FileType::kHardlink)
      return {};

    CAIRN_ASSIGN_OR_RETURN(ElfLibrary elf, internal::ReadElfSoname(tree_.store(), file->content));
    const std::string shown = dir == "/" ? "/" + name : fmt::format("{}/{}", dir, name);
    if (!elf.usable) {
      reporter_.Debug(fmt::format("ldconfig: skipping '{}': {}", shown, elf.skip_reason));
      return {};
    }
    int32_t flags = FlagsFor(elf);
    if (flags == 0 || (!arch_.machines.empty() && !arch_.machines.count(elf.machine))) {
      reporter_.Debug(
          fmt::format("ldconfig: skipping '{}': ELF machine {} is not indexed", shown, elf.machine));
      return {};
    }
    if (!seen_elf_) {
      big_endian_ = elf.big_endian;
      seen_elf_ = true;
    }
    std::string soname = elf.soname.empty() ? name : elf.soname;
    if (is_link && name != soname) {
      // A link keeps link status only when it is the soname itself or the
      // development link ("libfoo.so" for "libfoo.so.1"); otherwise ldconfig
      // treats it as an implementation file in its own right.
      bool dev_link = name.size() >= 3 && name.compare(name.size() - 3, 3, ".so") == 0 &&
                      soname.compare(0, name.size(), name) == 0;
      if (!dev_link) is_link = false;
    }
    if (is_link) soname = name;

    auto it = libs.find(soname);
    if (it == libs.end()) {
      libs.emplace(soname, DirLib{name, flags, is_link});
      return {};
    }
    DirLib& have = it->second;
    // Prefer a file to a link, otherwise the newer name; keep the first flags
    // (ldconfig only complains when they differ).
    if ((!is_link && have.is_link) ||
        (is_link == have.is_link && LdCacheLibCmp(have.name, name) < 0)) {
      have.name = name;
      have.is_link = is_link;
    }
    return {};
  }

  Status CreateLink(const std::string& dir, const std::string& resolved_dir,
                    const std::string& libname, const std::string& soname) {
    if (libname == soname) return {};
    const std::string so_key = JoinKey(resolved_dir, soname);
    const std::string lib_key = JoinKey(resolved_dir, libname);
    const rootfs::Node* existing = tree_.Find(so_key);
    if (existing) {
      std::string so_id = FileIdentity(tree_, so_key);
      if (!so_id.empty() && so_id == FileIdentity(tree_, lib_key)) return {};
      if (existing->meta.type != rootfs::FileType::kSymlink) {
        reporter_.Warn(fmt::format(
            "ldconfig: '{}/{}' is not a symbolic link, so it was not pointed at '{}'", dir,
            soname, libname));
        return {};
      }
      tree_.Remove(so_key);
    }
    CAIRN_TRY_CTX(tree_.AddSymlink(so_key, libname, epoch_),
                  fmt::format("creating soname link '{}'", so_key));
    reporter_.Verbose(fmt::format("ldconfig: {}/{} -> {}", dir, soname, libname));
    return {};
  }

  rootfs::Tree& tree_;
  int64_t epoch_;
  const ArchInfo& arch_;
  Reporter& reporter_;
  std::set<std::string> seen_dirs_;
  std::vector<LdCacheEntry> entries_;
  bool seen_elf_ = false;
  bool big_endian_ = false;
  size_t directories_ = 0;
};

bool IsRegularFile(const rootfs::Tree& tree, std::string_view key) {
  auto resolved = tree.Resolve(key);
  if (!resolved.ok()) return false;
  const rootfs::Node* n = tree.Find(*resolved);
  return n && (n->meta.type == rootfs::FileType::kRegular ||
               n->meta.type == rootfs::FileType::kHardlink);
}

}  // namespace

Status WriteLdSoCache(rootfs::Tree& tree, int64_t epoch, Reporter& reporter) {
  return WriteLdSoCache(tree, epoch, LdSoCacheOptions{}, reporter);
}

Status WriteLdSoCache(rootfs::Tree& tree, int64_t epoch, const LdSoCacheOptions& options,
                      Reporter& reporter) {
  constexpr std::string_view kConf = "etc/ld.so.conf";
  if (!IsRegularFile(tree, kConf)) return {};  // musl and other non-glibc roots

  std::string arch = options.arch;
  if (arch.empty() && IsRegularFile(tree, "etc/apk/arch")) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile("etc/apk/arch"));
    size_t end = text.find_first_of(" \t\r\n");
    arch = text.substr(0, end);
  }
  ArchInfo info = ArchFor(arch);
  if (!options.trusted_dirs.empty()) info.trusted = options.trusted_dirs;

  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                         internal::ReadLdSoConf(tree, kConf, reporter));
  dirs.insert(dirs.end(), info.trusted.begin(), info.trusted.end());

  Scanner scanner(tree, epoch, info, reporter);
  for (const std::string& dir : dirs)
    CAIRN_TRY_CTX(scanner.ScanDirectory(dir), fmt::format("scanning '{}' for ldconfig", dir));
  std::vector<LdCacheEntry> entries = scanner.TakeEntries();
  SortLdCacheEntries(entries);
  std::string bytes = EncodeLdSoCache(
      entries, scanner.big_endian() ? ByteOrder::kBig : ByteOrder::kLittle, options.generator);
  CAIRN_TRY_CTX(tree.AddFile("etc/ld.so.cache", bytes, 0644, 0, 0, epoch),
                "writing 'etc/ld.so.cache'");
  reporter.Verbose(fmt::format("ldconfig: {} libraries from {} directories in etc/ld.so.cache",
                               entries.size(), scanner.directories()));
  return {};
}

}  // namespace cairn::effects
