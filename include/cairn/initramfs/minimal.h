// A generated minimal initramfs: a static busybox, the kernel modules the
// root needs, and an /init shell script written by cairn that mounts the
// root named on the kernel command line and switches to it.
//
// Everything comes from the image tree itself (no host files): busybox from
// spec.busybox (it must be a static ELF, e.g. Debian's busybox-static), the
// module closure of spec.modules (initramfs/modules.h) copied to
// lib/modules/<kver>/... . /init understands, on the kernel command line:
//   root=/dev/...|LABEL=...|UUID=...|PARTLABEL=...
//                                      the root device (waited for, bounded;
//                                      PARTLABEL: a GPT partition name)
//   rootfstype=<fs>                    passed to mount (default: autodetect)
//   ro | rw                            how the root is mounted (default ro)
//   cairn.overlay=tmpfs|<device>       root read-only below a writable
//                                      overlayfs whose upper/work live on a
//                                      tmpfs or on that device
//   cairn.rootwait=<seconds>           overrides spec.root_wait_seconds
//   init=<path>                        what switch_root runs (default spec.init)
// Any failure prints "cairn-initramfs: <what failed>" on the console, then
// powers off or starts a shell (spec.on_failure).
//
//   rootfs::Tree initrd(store);
//   CAIRN_ASSIGN_OR_RETURN(auto modules, initramfs::BuildMinimalInitramfs(image, spec, initrd));
//   CAIRN_TRY(initramfs::WriteCpioFile(initrd, out / "initrd.img", {.epoch = spec.epoch}));
// or, in one call: initramfs::WriteMinimalInitramfs(image, spec, workdir, out / "initrd.img").
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/initramfs/cpio.h"
#include "cairn/initramfs/modules.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::initramfs {

/// What /init does when something fails.
enum class OnFailure {
  kShell,     ///< print the reason, then a shell on the console (for people)
  kPoweroff,  ///< print the reason, then `poweroff -f` (for tests and CI: QEMU exits)
};

struct MinimalInitramfsSpec {
  /// The static busybox in the image tree (links are followed).
  std::string busybox = "bin/busybox";
  /// The kernel whose modules are loaded; required when `modules` is not empty.
  std::string kernel_version;
  /// Modules the root needs, e.g. {"virtio_pci", "virtio_blk", "ext4", "squashfs", "overlay"};
  /// built-in ones are skipped, dependencies added.
  std::vector<std::string> modules;
  OnFailure on_failure = OnFailure::kShell;
  /// How long /init waits for the root (and overlay) device to appear.
  int root_wait_seconds = 10;
  /// What runs after switch_root unless init= is on the command line.
  std::string init = "/sbin/init";
  /// mtime of every entry (the build's SOURCE_DATE_EPOCH).
  int64_t epoch = 0;
};

/// The /init script for `spec`, loading `module_paths` (absolute paths in
/// the initramfs) in order. Exposed for tests and for `cairn show`.
std::string InitScript(const MinimalInitramfsSpec& spec,
                       const std::vector<std::string>& module_paths);

/// Fills `out` (an empty tree; any ContentStore) with the initramfs:
/// init, bin/busybox, bin/sh -> busybox, dev/console (char 5:1), empty
/// dev proc sys run tmp newroot, and the module closure. Returns the
/// closure. Errors: kNotFound for a missing busybox or module (see
/// ModuleClosure), kConfig for a busybox that is not a static ELF, kUsage
/// for modules without a kernel_version or a wait outside 1..3600 s.
Result<ModuleSet> BuildMinimalInitramfs(const rootfs::Tree& image_root,
                                        const MinimalInitramfsSpec& spec, rootfs::Tree& out);

/// BuildMinimalInitramfs into a tree spooled under `workdir` (which must
/// exist), then WriteCpioFile to `out` with `cpio` (its epoch is spec.epoch).
Result<ModuleSet> WriteMinimalInitramfs(const rootfs::Tree& image_root,
                                        const MinimalInitramfsSpec& spec,
                                        const std::filesystem::path& workdir,
                                        const std::filesystem::path& out, CpioOptions cpio = {});

}  // namespace cairn::initramfs
