#include "cairn/config/validate.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "cairn/config/arch.h"
#include "cairn/config/did_you_mean.h"
#include "config/parse_file.h"

namespace cairn::config {
namespace {

// Where a check about a whole section points: the section key, else the file.
SourceLoc SectionLoc(const Image& img, const std::string& key) {
  auto it = img.key_locs.find(key);
  if (it != img.key_locs.end()) return it->second;
  SourceLoc loc;
  loc.file = img.source_file;
  return loc;
}

bool IsNumeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error Duplicate(const SourceLoc& here, std::string what, const SourceLoc& first) {
  return ConfigError(here, std::move(what)).Hint(fmt::format("first declared at {}", first.ToString()));
}

Status CheckContents(const Image& img) {
  const Contents& c = img.contents;
  // A Debian image may be just the essential (or required) set.
  bool debian_base = !c.debian.empty() &&
                     (c.debian.essential.value_or(true) || c.debian.required.value_or(false));
  // Layers and boards may bring all the packages.
  if (c.packages.empty() && !debian_base && img.stack.empty() && img.board_defs.empty()) {
    return ConfigError(c.loc.known() ? c.loc : SectionLoc(img, "contents"), "no packages declared")
        .Hint("list at least one package under 'contents.packages'");
  }
  bool apk = !c.repositories.empty() || !c.build_repositories.empty() ||
             !c.runtime_repositories.empty();
  if (!c.debian.empty()) {
    if (apk) {
      const LString& first = !c.repositories.empty()         ? c.repositories.front()
                             : !c.build_repositories.empty() ? c.build_repositories.front()
                                                             : c.runtime_repositories.front();
      return ConfigError(first.loc, "an image takes its packages either from APK repositories "
                                    "or from Debian sources, not both")
          .Hint(fmt::format("'contents.debian' is declared at {}", c.debian.loc.ToString()));
    }
    if (c.debian.sources.empty())
      return ConfigError(c.debian.loc, "'contents.debian' has no sources")
          .Hint("add e.g. 'sources: [{suites: [bookworm]}]'");
    for (const DebianSource& src : c.debian.sources) {
      for (const auto* list : {&src.suites, &src.components, &src.keyring}) {
        for (const LString& v : *list) {
          if (v.value.empty()) return ConfigError(v.loc, "empty entry");
          if (list != &src.keyring && v.value.find_first_of(" \t/") != std::string::npos)
            return ConfigError(v.loc, fmt::format("'{}' is not a suite or component name", v.value));
        }
      }
    }
  } else if (!apk) {
    return ConfigError(c.loc.known() ? c.loc : SectionLoc(img, "contents"),
                       "no repositories declared")
        .Hint("list at least one under 'contents.repositories' or 'contents.build_repositories', "
              "or Debian sources under 'contents.debian.sources'");
  }
  for (const auto* list : {&c.repositories, &c.build_repositories, &c.runtime_repositories}) {
    for (const LString& r : *list) {
      if (r.value.empty()) return ConfigError(r.loc, "empty repository");
      if (r.value[0] == '@' && r.value.find_first_of(" \t") == std::string::npos) {
        return ConfigError(r.loc, fmt::format("repository '{}' has a tag but no URL", r.value))
            .Hint("write '@tag https://...' or '@tag ./path'");
      }
    }
  }
  for (const LString& k : c.keyring) {
    if (k.value.empty()) return ConfigError(k.loc, "empty keyring entry");
  }
  for (const LString& p : c.packages) {
    if (p.value.empty()) return ConfigError(p.loc, "empty package name");
    if (p.value.find_first_of(" \t") != std::string::npos) {
      return ConfigError(p.loc, fmt::format("package '{}' contains whitespace", p.value))
          .Hint("write one package per list entry");
    }
  }
  return {};
}

Status CheckAccounts(const Accounts& a) {
  std::map<std::string, SourceLoc> group_names, user_names;
  std::map<uint32_t, SourceLoc> gids, uids;
  for (const Group& g : a.groups) {
    if (g.groupname.value.empty()) return ConfigError(g.loc, "group has no 'groupname'");
    if (!g.gid) {
      return ConfigError(g.loc, fmt::format("group '{}' has no 'gid'", g.groupname.value));
    }
    auto [it, fresh] = group_names.emplace(g.groupname.value, g.groupname.loc);
    if (!fresh) {
      return Duplicate(g.groupname.loc, fmt::format("duplicate group '{}'", g.groupname.value),
                       it->second);
    }
    auto [git, gfresh] = gids.emplace(*g.gid, g.loc);
    if (!gfresh) {
      return Duplicate(g.loc, fmt::format("duplicate gid {} (group '{}')", *g.gid, g.groupname.value),
                       git->second);
    }
  }
  for (const User& u : a.users) {
    if (u.username.value.empty()) return ConfigError(u.loc, "user has no 'username'");
    if (!u.uid) return ConfigError(u.loc, fmt::format("user '{}' has no 'uid'", u.username.value));
    if (*u.uid == 0) {
      // apko refuses this too: uid 0 is root, which the base files provide.
      return ConfigError(u.loc, fmt::format("user '{}' has uid 0", u.username.value))
          .Hint("to run as root, use 'run-as: 0' instead of declaring a user");
    }
    auto [it, fresh] = user_names.emplace(u.username.value, u.username.loc);
    if (!fresh) {
      return Duplicate(u.username.loc, fmt::format("duplicate user '{}'", u.username.value),
                       it->second);
    }
    auto [uit, ufresh] = uids.emplace(*u.uid, u.loc);
    if (!ufresh) {
      return Duplicate(u.loc, fmt::format("duplicate uid {} (user '{}')", *u.uid, u.username.value),
                       uit->second);
    }
  }
  if (!a.run_as.value.empty()) {
    // OCI "user[:group]"; each part numeric, root, or declared here.
    std::string user = a.run_as.value;
    std::string group;
    if (auto colon = user.find(':'); colon != std::string::npos) {
      group = user.substr(colon + 1);
      user = user.substr(0, colon);
    }
    if (!IsNumeric(user) && user != "root" && !user_names.count(user)) {
      return ConfigError(a.run_as.loc, fmt::format("'run-as' names user '{}', which is not declared",
                                                   user))
          .Hint("declare it under 'accounts.users' or give a numeric uid");
    }
    if (!group.empty() && !IsNumeric(group) && group != "root" && !group_names.count(group)) {
      return ConfigError(a.run_as.loc,
                         fmt::format("'run-as' names group '{}', which is not declared", group))
          .Hint("declare it under 'accounts.groups' or give a numeric gid");
    }
  }
  return {};
}

Status CheckPaths(const std::vector<PathMutation>& paths, const std::vector<InlineFile>& files) {
  for (size_t i = 0; i < paths.size(); ++i) {
    const PathMutation& p = paths[i];
    std::string what = fmt::format("paths[{}].path", i);
    if (p.path.value.empty()) return ConfigError(p.loc, fmt::format("'paths[{}]' has no 'path'", i));
    CAIRN_TRY(internal::CheckImagePath(p.path, what));
    bool link = p.type == PathMutation::Type::kHardLink || p.type == PathMutation::Type::kSymLink;
    if (link && p.source.value.empty()) {
      return ConfigError(p.loc, fmt::format("link '{}' has no 'source'", p.path.value))
          .Hint("'source' is the link target");
    }
    if (p.permissions > 07777) {
      return ConfigError(p.loc, fmt::format("permissions 0o{:o} of '{}' are not a file mode",
                                            p.permissions, p.path.value))
          .Hint("expected at most 0o7777");
    }
  }
  std::map<std::string, SourceLoc> seen;
  for (size_t i = 0; i < files.size(); ++i) {
    const InlineFile& f = files[i];
    CAIRN_TRY(internal::CheckImagePath(f.path, fmt::format("files[{}].path", i)));
    auto [it, fresh] = seen.emplace(f.path.value, f.path.loc);
    if (!fresh) {
      return Duplicate(f.path.loc, fmt::format("file '{}' is declared twice", f.path.value),
                       it->second);
    }
    if (f.mode > 07777) {
      return ConfigError(f.loc, fmt::format("mode 0o{:o} of '{}' is not a file mode", f.mode,
                                            f.path.value))
          .Hint("expected at most 0o7777");
    }
  }
  return {};
}

Status CheckEntrypoint(const Image& img) {
  const Entrypoint& e = img.entrypoint;
  if (e.type == "service-bundle") {
    return ConfigError(e.loc, "entrypoint type 'service-bundle' is not supported yet")
        .Hint("use 'command' or 'shell-fragment'");
  }
  if (!e.type.empty()) {
    return ConfigError(e.loc, fmt::format("unknown entrypoint type '{}'", e.type))
        .Hint("expected 'service-bundle' or no 'type'");
  }
  if (!e.services.empty()) {
    return ConfigError(e.loc, "entrypoint 'services' need type 'service-bundle', not supported yet");
  }
  if (!e.command.empty() && !e.shell_fragment.empty()) {
    return ConfigError(e.loc, "entrypoint has both 'command' and 'shell-fragment'")
        .Hint("keep one of them");
  }
  if (!img.work_dir.empty() && img.work_dir[0] != '/') {
    return ConfigError(SectionLoc(img, "work-dir"),
                       fmt::format("'work-dir' must be absolute, got '{}'", img.work_dir));
  }
  for (const std::string& v : img.volumes) {
    if (v.empty() || v[0] != '/') {
      return ConfigError(SectionLoc(img, "volumes"),
                         fmt::format("volume '{}' must be an absolute path", v));
    }
  }
  for (const auto& [k, v] : img.environment) {
    if (k.empty() || k.find('=') != std::string::npos) {
      return ConfigError(SectionLoc(img, "environment"),
                         fmt::format("environment variable name '{}' is not valid", k))
          .Hint("names must be non-empty and must not contain '='");
    }
  }
  return {};
}


const std::vector<std::string> kBootloaders = {"systemd-boot", "grub-efi", "uki", "u-boot-extlinux",
                                               "rpi-firmware"};
const std::vector<std::string> kRoles = {"esp", "boot", "firmware", "root", "data"};
const std::vector<std::string> kFilesystems = {"vfat",     "ext4",  "xfs", "btrfs",
                                               "squashfs", "erofs", "none"};
const std::vector<std::string> kTables = {"gpt", "mbr"};
const std::vector<std::string> kFirmwares = {"ovmf", "aavmf", "u-boot", "none"};

// An error unless v is one of `allowed`; `what` names the value ("bootloader type").
Status CheckEnum(const LString& v, std::string_view what, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), v.value) != allowed.end()) return {};
  Error e = ConfigError(v.loc, fmt::format("unknown {} '{}'", what, v.value));
  if (auto s = SuggestClosest(v.value, allowed)) {
    return std::move(e).Hint(fmt::format("did you mean '{}'?", *s));
  }
  return std::move(e).Hint(fmt::format("expected {}", QuoteList(allowed)));
}

Status CheckNonEmpty(const std::vector<LString>& items, std::string_view what) {
  for (const LString& s : items) {
    if (s.value.empty()) return ConfigError(s.loc, fmt::format("empty {}", what));
  }
  return {};
}

Status CheckPackageName(const LString& p) {
  if (p.value.empty()) return ConfigError(p.loc, "empty package name");
  if (p.value.find_first_of(" \t") != std::string::npos) {
    return ConfigError(p.loc, fmt::format("package '{}' contains whitespace", p.value))
        .Hint("write one package per list entry");
  }
  return {};
}

Status CheckPackageLists(const std::map<std::string, PackageList>& packages) {
  for (const auto& [source, list] : packages) {
    for (const LString& p : list.all) CAIRN_TRY(CheckPackageName(p));
    for (const auto& [arch, names] : list.by_arch) {
      for (const LString& p : names) CAIRN_TRY(CheckPackageName(p));
    }
  }
  return {};
}

Status CheckLayout(const Board& board) {
  const Layout& layout = board.layout;
  if (!layout.loc.known() && layout.partitions.empty()) return {};
  if (layout.table.value.empty()) {
    return ConfigError(layout.loc, "'layout' has no 'table'").Hint("expected 'gpt' or 'mbr'");
  }
  CAIRN_TRY(CheckEnum(layout.table, "partition table", kTables));
  if (layout.partitions.empty()) {
    return ConfigError(layout.loc, "'layout' has no partitions")
        .Hint("list them under 'layout.partitions', in disk order");
  }
  const Partition* esp = nullptr;
  const Partition* slot_a = nullptr;
  const Partition* slot_b = nullptr;
  std::vector<const Partition*> plain_roots;
  for (size_t i = 0; i < layout.partitions.size(); ++i) {
    const Partition& p = layout.partitions[i];
    std::string what = fmt::format("layout.partitions[{}]", i);
    if (p.role.value.empty()) return ConfigError(p.loc, fmt::format("'{}' has no 'role'", what));
    CAIRN_TRY(CheckEnum(p.role, "partition role", kRoles));
    if (p.size.value.empty()) {
      return ConfigError(p.loc, fmt::format("'{}' has no 'size'", what))
          .Hint("e.g. 'size: 256M', or 'size: rest' for the last partition");
    }
    if (p.size.value == "rest" && i + 1 != layout.partitions.size()) {
      return ConfigError(p.size.loc, "only the last partition can have size 'rest'")
          .Hint(fmt::format("the last partition is at {}",
                            layout.partitions.back().loc.ToString()));
    }
    if (p.filesystem.value.empty()) {
      return ConfigError(p.loc, fmt::format("'{}' has no 'filesystem'", what))
          .Hint(fmt::format("expected {}", QuoteList(kFilesystems)));
    }
    CAIRN_TRY(CheckEnum(p.filesystem, "filesystem", kFilesystems));
    if (p.role.value == "esp") {
      if (esp) {
        return ConfigError(p.role.loc, "a disk has at most one EFI system partition")
            .Hint(fmt::format("the first 'role: esp' is at {}", esp->role.loc.ToString()));
      }
      esp = &p;
      if (p.filesystem.value != "vfat") {
        return ConfigError(p.filesystem.loc, fmt::format("the EFI system partition must be vfat, "
                                                         "not '{}'",
                                                         p.filesystem.value));
      }
    }
    if (!p.slot.value.empty()) {
      if (p.role.value != "root") {
        return ConfigError(p.slot.loc, fmt::format("'slot' is for root partitions, not '{}'",
                                                   p.role.value))
            .Hint("A/B updates switch between two root partitions, 'slot: a' and 'slot: b'");
      }
      if (p.slot.value != "a" && p.slot.value != "b") {
        return ConfigError(p.slot.loc, fmt::format("unknown slot '{}'", p.slot.value))
            .Hint("expected 'a' or 'b'");
      }
      const Partition*& seen = p.slot.value == "a" ? slot_a : slot_b;
      if (seen) {
        return ConfigError(p.slot.loc, fmt::format("two root partitions have slot '{}'",
                                                   p.slot.value))
            .Hint(fmt::format("the first is at {}", seen->slot.loc.ToString()));
      }
      seen = &p;
    } else if (p.role.value == "root") {
      plain_roots.push_back(&p);
    }
  }
  if (slot_a || slot_b) {
    const Partition* have = slot_a ? slot_a : slot_b;
    if (!slot_a || !slot_b) {
      return ConfigError(have->slot.loc, fmt::format("root slot '{}' has no partner slot '{}'",
                                                     have->slot.value,
                                                     have->slot.value == "a" ? "b" : "a"))
          .Hint("A/B needs both 'slot: a' and 'slot: b' root partitions, or neither");
    }
    if (!plain_roots.empty()) {
      return ConfigError(plain_roots.front()->role.loc, "root partition without a slot beside "
                                                        "A/B root partitions")
          .Hint(fmt::format("give it 'slot: a' or 'slot: b' (slot a is at {})",
                            slot_a->slot.loc.ToString()));
    }
  } else if (plain_roots.size() > 1) {
    return ConfigError(plain_roots[1]->role.loc, "a second root partition without slots")
        .Hint(fmt::format("for A/B give the root partitions 'slot: a' and 'slot: b' (the first is "
                          "at {})",
                          plain_roots[0]->role.loc.ToString()));
  }
  const std::string& type = board.bootloader.type.value;
  if (type == "systemd-boot" || type == "grub-efi" || type == "uki") {
    if (layout.table.value != "gpt") {
      return ConfigError(layout.table.loc, fmt::format("bootloader '{}' needs a 'gpt' partition "
                                                       "table, not '{}'",
                                                       type, layout.table.value))
          .Hint(fmt::format("the bootloader is declared at {}",
                            board.bootloader.type.loc.ToString()));
    }
    if (!esp) {
      return ConfigError(layout.loc, fmt::format("bootloader '{}' needs an EFI system partition",
                                                 type))
          .Hint("add a partition with 'role: esp' and 'filesystem: vfat'");
    }
  } else if (type == "rpi-firmware" && layout.table.value != "mbr") {
    return ConfigError(layout.table.loc, fmt::format("bootloader 'rpi-firmware' needs an 'mbr' "
                                                     "partition table, not '{}'",
                                                     layout.table.value))
        .Hint(fmt::format("the bootloader is declared at {}", board.bootloader.type.loc.ToString()));
  }
  return {};
}

const std::vector<std::string> kOutputTypes = {"squashfs", "erofs", "cpio", "disk"};
const std::vector<std::string> kSquashfsCompressors = {"gzip", "xz", "zstd", "lz4", "lzo"};
// What Debian 12's mkfs.erofs and kernel both support.
const std::vector<std::string> kErofsCompressors = {"lz4hc", "lz4", "none"};
constexpr int kMaxLz4hcLevel = 12;
const std::vector<std::string> kCpioCompressors = {"gzip", "zstd", "none"};
const std::vector<std::string> kCpioContents = {"root", "initramfs"};
const std::vector<std::string> kDiskFormats = {"raw", "qcow2"};

// An error when `v` is set on an output whose type does not take it.
Status OnlyFor(const Output& o, const LString& v, std::string_view key,
               std::initializer_list<std::string_view> types) {
  if (!v.loc.known() || std::find(types.begin(), types.end(), o.type.value) != types.end())
    return {};
  return ConfigError(v.loc, fmt::format("'{}' is an option of '{}' outputs, not of '{}'", key,
                                        fmt::join(types, "' and '"), o.type.value));
}

const std::vector<std::string>& CompressorsOf(const Output& o) {
  if (o.type.value == "squashfs") return kSquashfsCompressors;
  if (o.type.value == "erofs") return kErofsCompressors;
  return kCpioCompressors;
}

// Levels: lz4hc's are 0..12 (the parser allowed 1..22 for every type); lz4
// and "none" take none.
Status CheckErofsLevel(const Output& o) {
  if (o.type.value != "erofs" || !o.level) return {};
  if (!o.compression.value.empty() && o.compression.value != "lz4hc")
    return ConfigError(o.compression.loc,
                       fmt::format("erofs compression '{}' takes no level", o.compression.value))
        .Hint("only lz4hc (the default) has levels");
  if (*o.level > kMaxLz4hcLevel)
    return ConfigError(o.loc, fmt::format("erofs lz4hc level {} is out of range (1..{})", *o.level,
                                          kMaxLz4hcLevel));
  return {};
}

Status CheckOutputs(const Image& image) {
  const Output* disk = nullptr;
  for (const Output& o : image.outputs) {
    CAIRN_TRY(CheckEnum(o.type, "output type", kOutputTypes));
    CAIRN_TRY(OnlyFor(o, o.layer, "layer", {"squashfs"}));
    CAIRN_TRY(OnlyFor(o, o.contents, "contents", {"cpio"}));
    CAIRN_TRY(OnlyFor(o, o.format, "format", {"disk"}));
    if (o.type.value == "disk") {
      if (o.compression.loc.known() || o.level)
        return ConfigError(o.loc, "a disk output takes no compression (use format: qcow2)");
      if (disk)
        return ConfigError(o.loc, "a second 'disk' output")
            .Hint(fmt::format("the first is at {}", disk->loc.ToString()));
      disk = &o;
      if (o.format.loc.known()) CAIRN_TRY(CheckEnum(o.format, "disk format", kDiskFormats));
      if (image.boards.empty())
        return ConfigError(o.loc, "a 'disk' output needs a board (boards: [...])");
    }
    if (o.compression.loc.known())
      CAIRN_TRY(CheckEnum(o.compression, fmt::format("{} compression", o.type.value),
                          CompressorsOf(o)));
    CAIRN_TRY(CheckErofsLevel(o));
    if (o.contents.loc.known()) CAIRN_TRY(CheckEnum(o.contents, "cpio contents", kCpioContents));
    if (o.type.value == "cpio" && o.contents.value == "initramfs" && image.boards.empty())
      return ConfigError(o.contents.loc, "a generated initramfs needs a board with a kernel")
          .Hint("add boards: [...], or use 'contents: root' for the whole root as a cpio");
  }
  return {};
}

}  // namespace

Status Validate(const Image& image) {
  CAIRN_TRY(CheckContents(image));
  CAIRN_TRY(CheckAccounts(image.accounts));
  CAIRN_TRY(CheckEntrypoint(image));
  CAIRN_TRY(CheckPaths(image.paths, image.files));
  CAIRN_TRY(CheckOutputs(image));
  for (const LString& a : image.archs) {
    if (a.value.empty()) return ConfigError(a.loc, "empty architecture");
  }
  for (const Layer& l : image.stack) {
    if (l.kind == "layer") CAIRN_TRY(ValidateLayer(l));
  }
  for (const Board& b : image.board_defs) {
    CAIRN_TRY(ValidateBoard(b));
    for (const Layer& l : b.layer_defs) CAIRN_TRY(ValidateLayer(l));
  }
  return {};
}

Status ValidateLayer(const Layer& layer) {
  if (layer.name.value.empty()) return ConfigError(layer.name.loc, "empty layer name");
  for (const LString& a : layer.archs) {
    if (!NormalizeArch(a.value) || *NormalizeArch(a.value) != a.value) {
      return ConfigError(a.loc, fmt::format("unknown architecture '{}'", a.value))
          .Hint(fmt::format("expected one of {}", QuoteList(KnownApkArchs())));
    }
  }
  for (const LString& r : layer.required) {
    if (r.value == layer.name.value) {
      return ConfigError(r.loc, fmt::format("layer '{}' requires itself", r.value));
    }
  }
  for (const LString& c : layer.conflicts) {
    bool self = c.value == layer.name.value ||
                std::any_of(layer.provides.begin(), layer.provides.end(),
                            [&](const LString& p) { return p.value == c.value; });
    if (self) {
      return ConfigError(c.loc, fmt::format("layer '{}' conflicts with '{}', which it is or "
                                            "provides itself",
                                            layer.name.value, c.value));
    }
  }
  CAIRN_TRY(CheckPackageLists(layer.packages));
  CAIRN_TRY(CheckAccounts(layer.accounts));
  CAIRN_TRY(CheckPaths(layer.paths, layer.files));
  CAIRN_TRY(CheckNonEmpty(layer.services, "service"));
  CAIRN_TRY(CheckNonEmpty(layer.kernel_cmdline, "kernel command line fragment"));
  return {};
}

Status ValidateBoard(const Board& board) {
  const std::string& name = board.name.value;
  if (board.arch.value.empty()) {
    return ConfigError(board.loc, fmt::format("board '{}' has no 'arch'", name))
        .Hint("add e.g. 'arch: aarch64'");
  }
  if (!NormalizeArch(board.arch.value) || *NormalizeArch(board.arch.value) != board.arch.value) {
    return ConfigError(board.arch.loc, fmt::format("unknown architecture '{}'", board.arch.value))
        .Hint(fmt::format("expected one of {}", QuoteList(KnownApkArchs())));
  }
  CAIRN_TRY(CheckPackageLists(board.packages));
  CAIRN_TRY(CheckPackageLists(board.bootloader.packages));
  const Bootloader& boot = board.bootloader;
  if (boot.loc.known() || !boot.packages.empty()) {
    if (boot.type.value.empty()) {
      return ConfigError(boot.loc, "'bootloader' has no 'type'")
          .Hint(fmt::format("expected {}", QuoteList(kBootloaders)));
    }
    CAIRN_TRY(CheckEnum(boot.type, "bootloader type", kBootloaders));
  }
  if (boot.uboot.loc.known()) {
    if (boot.type.value != "u-boot-extlinux")
      return ConfigError(boot.uboot.loc, fmt::format("'bootloader.u-boot' is for the "
                                                     "'u-boot-extlinux' bootloader, not '{}'",
                                                     boot.type.value));
    const std::string& u = boot.uboot.value;
    if (u.empty() || u.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
      return ConfigError(boot.uboot.loc, fmt::format("invalid U-Boot build name '{}'", u))
          .Hint("the name of a directory under /usr/lib/u-boot, e.g. 'qemu_arm64' or 'rpi_3'");
  }
  if (board.qemu.firmware.value == "u-boot" && boot.type.value != "u-boot-extlinux")
    return ConfigError(board.qemu.firmware.loc,
                       fmt::format("qemu firmware 'u-boot' loads the u-boot.bin the "
                                   "'u-boot-extlinux' bootloader puts on the disk; this board's "
                                   "bootloader is '{}'",
                                   boot.type.value));
  CAIRN_TRY(CheckNonEmpty(board.kernel.cmdline, "kernel command line entry"));
  for (const LString& dt : board.device_trees) {
    if (dt.value.empty() || dt.value[0] == '/' || dt.value.find("..") != std::string::npos) {
      return ConfigError(dt.loc, fmt::format("device tree '{}' must be a path relative to the "
                                             "kernel's dtb directory, without '..'",
                                             dt.value))
          .Hint("e.g. 'broadcom/bcm2711-rpi-4-b.dtb'");
    }
  }
  CAIRN_TRY(CheckPaths({}, board.files));
  CAIRN_TRY(CheckLayout(board));
  const QemuSettings& q = board.qemu;
  if (!q.firmware.value.empty() && q.firmware.value[0] != '/' &&
      std::find(kFirmwares.begin(), kFirmwares.end(), q.firmware.value) == kFirmwares.end()) {
    Error e = ConfigError(q.firmware.loc, fmt::format("unknown qemu firmware '{}'", q.firmware.value));
    if (auto s = SuggestClosest(q.firmware.value, kFirmwares)) {
      return std::move(e).Hint(fmt::format("did you mean '{}'?", *s));
    }
    return std::move(e).Hint(
        fmt::format("expected {} or an absolute path", QuoteList(kFirmwares, ", ")));
  }
  return {};
}

}  // namespace cairn::config
