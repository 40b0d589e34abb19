// The typed declaration model: what `cairn` builds, after YAML loading,
// include merging and validation. Immutable after Load (config/loader.h).
//
// The format is apko's image configuration (contents, archs, accounts,
// entrypoint, cmd, environment, paths, work-dir, annotations, include), so an
// apko file loads as is, extended with cairn's own keys: `name`, `files`
// (inline file content), and room for `layers` and `boards` (later issues).
// Every value that a later stage may complain about keeps its SourceLoc, so
// "unknown package 'bussybox'" points at the YAML node.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/error.h"

namespace cairn::config {

/// A scalar with the place it was declared.
template <typename T>
struct Located {
  T value{};
  SourceLoc loc;
};
using LString = Located<std::string>;

/// cairn: one Debian archive source, as a deb822 sources entry (`contents.debian.sources[]`).
struct DebianSource {
  /// Archive root URL; "" takes $CAIRN_DEBIAN_ARCHIVE (or, for a "-security"
  /// suite, $CAIRN_DEBIAN_SECURITY_ARCHIVE), else the host's apt sources.
  LString url;
  std::vector<LString> suites;      ///< e.g. bookworm, bookworm-updates
  std::vector<LString> components;  ///< default: main
  std::vector<LString> keyring;     ///< OpenPGP keyrings; default: debian-archive-keyring
  SourceLoc loc;
};

/// cairn: Debian packages for the image (`contents.debian`).
struct Debian {
  std::vector<DebianSource> sources;
  std::optional<bool> recommends;  ///< install Recommends (default false)
  std::optional<bool> essential;   ///< add every Essential: yes package (default true)
  std::optional<bool> required;    ///< add every Priority: required package (default false)
  /// Accept a Release past its Valid-Until (for dated snapshot archives; default false).
  std::optional<bool> allow_expired;
  SourceLoc loc;  ///< the `debian:` key

  bool empty() const { return sources.empty() && !loc.known(); }
};

struct Contents {
  std::vector<LString> repositories;        ///< URLs or paths; "@tag url" pins a tag
  std::vector<LString> build_repositories;  ///< used to build, not written to the image
  std::vector<LString> runtime_repositories;///< written to the image, not used to build
  std::vector<LString> keyring;             ///< key files (paths or URLs)
  std::vector<LString> packages;            ///< world atoms (or Debian `name[=version]`)
  Debian debian;                            ///< cairn: Debian sources instead of APK repositories
  SourceLoc loc;
};

struct Group {
  LString groupname;
  std::optional<uint32_t> gid;
  std::vector<std::string> members;
  SourceLoc loc;
};

struct User {
  LString username;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::string shell;    ///< default /bin/sh
  std::string homedir;  ///< default /home/<username>
  SourceLoc loc;
};

struct Accounts {
  std::vector<Group> groups;
  std::vector<User> users;
  LString run_as;  ///< config User
  SourceLoc loc;   ///< the `accounts:` key
};

/// apko `paths:` mutation.
struct PathMutation {
  enum class Type { kDirectory, kEmptyFile, kHardLink, kSymLink, kPermissions };
  LString path;
  Type type = Type::kDirectory;
  LString source;  ///< link target for kHardLink / kSymLink
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t permissions = 0755;
  bool recursive = false;
  SourceLoc loc;
};

/// cairn `files:` entry: a file declared inline (no package needed).
struct InlineFile {
  LString path;
  std::string content;
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  SourceLoc loc;
};

struct Entrypoint {
  std::string type;           ///< apko: "" or "service-bundle" (not supported yet)
  std::string command;        ///< shell-split into Entrypoint
  std::string shell_fragment; ///< becomes ["/bin/sh", "-c", fragment]
  std::map<std::string, std::string> services;  ///< apko service-bundle services (name -> command)
  SourceLoc loc;              ///< the `entrypoint:` key

  bool empty() const {
    return type.empty() && command.empty() && shell_fragment.empty() && services.empty();
  }
};

/// apko `layering:` (OCI layer budget); parsed and shown, not yet used.
struct Layering {
  std::string strategy;
  std::optional<int64_t> budget;
  SourceLoc loc;

  bool empty() const { return strategy.empty() && !budget; }
};

/// cairn: packages of a layer or board for one package source ("debian" or
/// "apk"): a plain list for every architecture, or a map with `all` and apk
/// arch names (x86_64, aarch64, ...) whose lists are added for that arch.
/// Names may use ${arch} (apk arch), ${debian-arch} (amd64, arm64, ...) and
/// ${kernel-flavour} (the board's, default ${debian-arch}).
struct PackageList {
  std::vector<LString> all;
  std::map<std::string, std::vector<LString>> by_arch;
  SourceLoc loc;
  bool empty() const { return all.empty() && by_arch.empty(); }
};

/// cairn: a layer, layers/<name>.yaml. Each layer becomes exactly one OCI
/// layer, stacked in the order the image lists them (lowest first).
struct Layer {
  std::string source_file;
  /// "layer" for a layers/ file; "image" for a base image's own contents in
  /// Image::stack (its packages under that image's one source).
  std::string kind = "layer";
  LString name;         ///< default: file stem; how images and `requires` refer to it
  LString description;
  std::vector<LString> required;   ///< `requires:` (a C++20 keyword): layers or capabilities that must be below this one
  std::vector<LString> provides;   ///< capabilities besides its own name (e.g. "init")
  std::vector<LString> conflicts;  ///< layers or capabilities that may not be in the same stack
  std::vector<LString> archs;      ///< supported apk archs; empty = every arch
  std::map<std::string, PackageList> packages;  ///< by source: "debian", "apk"
  Accounts accounts;
  std::vector<InlineFile> files;
  std::vector<PathMutation> paths;
  std::vector<LString> services;        ///< systemd units to enable (e.g. ssh.service)
  std::vector<LString> kernel_cmdline;  ///< fragments added to the board's command line
  SourceLoc loc;  ///< where the image (or board) named it; the file's start otherwise
};

/// cairn: one partition of a board's disk layout.
struct Partition {
  LString role;        ///< esp, boot, root, data, firmware
  LString size;        ///< "256M", "2G" (binary units), or "rest" for the last one
  uint64_t size_bytes = 0;  ///< 0 for "rest"
  LString filesystem;  ///< vfat, ext4, squashfs, erofs, none
  LString label;
  LString slot;        ///< "" or "a" / "b" for A/B root slots
  SourceLoc loc;
};

struct Layout {
  LString table;  ///< gpt or mbr
  std::vector<Partition> partitions;
  SourceLoc loc;
};

struct Bootloader {
  LString type;  ///< systemd-boot, grub-efi, uki, u-boot-extlinux, rpi-firmware
  /// u-boot-extlinux: the U-Boot build, /usr/lib/u-boot/<name>/u-boot.bin
  /// (qemu_arm64, rpi_3, ...); "" picks it from the first device tree.
  LString uboot;
  std::map<std::string, PackageList> packages;  ///< bootloader packages by source
  SourceLoc loc;
};

struct KernelSettings {
  LString flavour;               ///< Debian flavour (amd64, arm64, rt-amd64, ...); default per arch
  std::vector<LString> cmdline;  ///< base kernel command line
  LString console;               ///< e.g. ttyS0, ttyAMA0
  SourceLoc loc;
};

/// How `cairn run` boots the board under QEMU.
struct QemuSettings {
  LString machine;   ///< q35, virt, raspi3b, ...
  LString cpu;       ///< max, cortex-a72, ...
  /// ovmf, aavmf, none, a path, or u-boot: the u-boot.bin on the disk's boot
  /// partition (-bios on virt; -kernel on raspi machines, which cannot run
  /// the Pi's GPU firmware)
  LString firmware;
  LString memory;    ///< "1G"
  std::vector<LString> extra_args;
  SourceLoc loc;
};

/// cairn: board support, boards/<name>.yaml.
struct Board {
  std::string source_file;
  LString name;
  LString description;
  LString arch;     ///< apk arch after normalisation
  LString variant;  ///< e.g. v8; "" if none
  std::vector<LString> layers;  ///< layers the board needs below its own (e.g. kernel)
  std::vector<Layer> layer_defs;  ///< `layers` loaded by LoadImage (empty from LoadBoard)
  std::map<std::string, PackageList> packages;  ///< firmware and board packages by source
  Bootloader bootloader;
  KernelSettings kernel;
  std::vector<LString> device_trees;  ///< paths under the kernel's dtb directory
  std::vector<InlineFile> files;
  Layout layout;
  QemuSettings qemu;
  SourceLoc loc;
};

/// cairn: one extra build output (`outputs:`), written per target (board or
/// arch) beside the OCI layout.
struct Output {
  LString type;         ///< squashfs, cpio or disk
  LString compression;  ///< squashfs: gzip/xz/zstd/lz4/lzo; cpio: gzip/zstd/none
  std::optional<int> level;  ///< compression level; unset: the tool's default
  LString layer;        ///< squashfs: one cairn layer instead of the merged root
  LString contents;     ///< cpio: root (the whole root, to run from RAM) or initramfs
  LString format;       ///< disk: raw or qcow2
  SourceLoc loc;
};

/// One declaration file after includes are merged.
struct Image {
  std::string source_file;  ///< the top-level file that was loaded
  std::vector<std::string> included_files;  ///< every file read, in order (for the lock hash)
  LString name;             ///< cairn: image name; default: file stem
  LString description;      ///< cairn: one line for `cairn list`
  Contents contents;
  std::vector<LString> archs;  ///< apk arch names after normalisation (x86_64, aarch64, ...)
  Accounts accounts;
  Entrypoint entrypoint;
  std::string cmd;
  std::string stop_signal;
  std::string work_dir;
  std::map<std::string, std::string> environment;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> volumes;
  std::vector<PathMutation> paths;
  std::vector<InlineFile> files;
  /// cairn: layers stacked on the image's own contents, lowest first (names
  /// under <project>/layers or paths), and boards (names under
  /// <project>/boards or paths). Loaded into stack/board_defs by LoadImage.
  std::vector<LString> layers;
  std::vector<LString> boards;
  std::vector<Output> outputs;  ///< cairn: extra outputs; the OCI layout is always written
  /// cairn: `base:` another image (name under <project>/images or a path)
  /// whose whole stack this image's layers go on, so the lower OCI layers are
  /// the base's, byte for byte.
  LString base;
  std::vector<Layer> stack;        ///< the loaded `layers:` (after the base's), in order
  std::vector<Board> board_defs;   ///< the loaded `boards:`
  size_t base_layer_count = 0;     ///< how many of `stack` come from the base
  std::string vcs_url;      ///< apko `vcs-url`
  Layering layering;        ///< apko `layering`
  /// Where each top-level key ("contents", "cmd", "volumes", ...) was declared, so
  /// semantic errors about plain-string fields still point into the YAML.
  std::map<std::string, SourceLoc> key_locs;
};

}  // namespace cairn::config
