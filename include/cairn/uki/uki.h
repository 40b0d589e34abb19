// Unified Kernel Images: systemd's EFI stub with the kernel, initrd, command
// line and os-release added as PE sections, one EFI executable that the
// firmware (EFI/BOOT/BOOTX64.EFI) or a boot loader starts directly. Built
// the way systemd's ukify did it with objcopy (Debian 12 ships systemd 252's
// stub in systemd-boot-efi, but no ukify):
//
//  - the stub's PE headers are read (uki/pe.h); the new sections start at
//    the first RVA after its last section and follow each other in ukify's
//    order .osrel .cmdline .dtb .uname .initrd .linux, each at a multiple of
//    the stub's SectionAlignment and of 4 KiB (UEFI pages). The kernel is
//    last: a kernel that decompresses in place only overwrites what follows
//    it, and nothing does ("linux shall be last to leave breathing room for
//    decompression", ukify);
//  - `objcopy -p --add-section N=F --change-section-vma N=VMA
//    --set-section-flags N=data,readonly` (code,readonly for .linux) adds
//    them. -p keeps the stub's COFF TimeDateStamp (0 in Debian's stubs),
//    which objcopy would otherwise set to the current time (binutils 2.40
//    ignores SOURCE_DATE_EPOCH there), so the same inputs give the same bytes;
//  - the result is checked (every section at its planned VMA, the stub's
//    timestamp kept) and written beside `out`, renamed into place only when
//    complete.
// x86_64 stubs need the host's objcopy (binutils) on an x86_64 host; aarch64
// stubs need aarch64-linux-gnu-objcopy (binutils-aarch64-linux-gnu), since
// the host objcopy does not know the pei-aarch64-little format.
//
//   uki::UkiInputs in{.stub = tree.ReadAll(stub_path), .kernel = ..., .initrd = ...,
//                     .cmdline = "console=ttyS0 root=LABEL=root", .os_release = ...};
//   CAIRN_TRY(uki::WriteUki(in, out / "EFI/BOOT/BOOTX64.EFI", {.arch = "x86_64"}));
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "cairn/uki/pe.h"

namespace cairn::uki {

/// The contents of a UKI, as bytes (files of the image tree are read into
/// memory by the caller; a kernel is 15-35 MB).
struct UkiInputs {
  /// systemd's stub, linuxx64.efi.stub or linuxaa64.efi.stub (see StubPath).
  std::string stub;
  /// The kernel: an x86 bzImage or an uncompressed arm64 Image, both EFI PE files.
  std::string kernel;
  /// The initramfs (any format the kernel unpacks); empty: no .initrd section.
  std::string initrd;
  /// Kernel command line; whitespace runs become one space (NormalizeCmdline).
  /// Empty: no .cmdline section.
  std::string cmdline;
  /// The image's os-release file (.osrel, how boot loaders name the entry); empty: none.
  std::string os_release;
  /// A flattened device tree the stub installs before starting the kernel (.dtb).
  std::optional<std::string> dtb;
  /// `uname -r` of the kernel (.uname). Empty: read from the kernel (KernelUname);
  /// no section when it cannot be found there.
  std::string uname;
};

struct UkiOptions {
  /// "x86_64" or "aarch64" (cairn's apk names): the stub and kernel must match.
  std::string arch = "x86_64";
  /// The objcopy to run (a name looked up in PATH, or a path); empty:
  /// DefaultObjcopy(arch).
  std::string objcopy;
  /// Kill objcopy after this long.
  std::optional<std::chrono::milliseconds> timeout;
};

/// One section WriteUki adds to the stub.
struct UkiSection {
  std::string name;   ///< ".osrel", ".cmdline", ".dtb", ".uname", ".initrd" or ".linux"
  uint64_t vma = 0;   ///< image base + RVA, as `objdump -h` shows it
  uint64_t size = 0;  ///< content bytes (the section's VirtualSize)
};

/// Where the sections go and what the text sections hold.
struct UkiPlan {
  PeHeaders stub;                    ///< the stub's headers
  uint64_t alignment = 0;            ///< every new section's RVA is a multiple of this
  std::string cmdline;               ///< the .cmdline content (NormalizeCmdline); empty: none
  std::string uname;                 ///< the .uname content (given or found); empty: none
  std::vector<UkiSection> sections;  ///< in file and address order; .linux last
};

/// The objcopy for an architecture's PE files and the Debian package that has it.
struct ObjcopyTool {
  std::string program;         ///< "objcopy", "aarch64-linux-gnu-objcopy", ...
  std::string debian_package;  ///< "binutils", "binutils-aarch64-linux-gnu", ...
};

/// The host's objcopy when `arch` is the host's, else the cross binutils'
/// ("x86_64-linux-gnu-objcopy", "aarch64-linux-gnu-objcopy"). kUsage for an
/// architecture other than x86_64 and aarch64.
Result<ObjcopyTool> DefaultObjcopy(std::string_view arch);

/// Where Debian's systemd-boot-efi installs the stub, relative to the root:
/// "usr/lib/systemd/boot/efi/linuxx64.efi.stub" (x86_64) or
/// ".../linuxaa64.efi.stub" (aarch64); kUsage for other architectures.
Result<std::string> StubPath(std::string_view arch);

/// The command line as the stub should carry it: runs of spaces, tabs and
/// newlines become one space and the ends are trimmed (as ukify does), so a
/// multi-line declaration or a trailing newline is fine. kConfig for a NUL
/// or another control character (the stub would cut the line at a NUL) and
/// for a line longer than the kernel's 2047 bytes (the rest would be lost).
Result<std::string> NormalizeCmdline(std::string_view cmdline);

/// `uname -r` of a kernel, as ukify finds it: the version string the x86
/// setup header points at (x86_64), or the text after "Linux version " in an
/// uncompressed arm64 Image (aarch64). nullopt when there is none.
std::optional<std::string> KernelUname(std::string_view kernel, std::string_view arch);

/// Checks the inputs and places the sections (no files touched). Errors:
/// kUsage for an unknown arch; kNotFound for an empty stub or kernel;
/// kConfig for a stub or kernel that is not a PE file for `arch` (an x86
/// kernel must also be a bzImage with the EFI handover protocol, boot
/// protocol 2.11 or later, which systemd-stub 252 starts it with; a
/// gzip-compressed arm64 kernel is named as such), a stub that already has
/// one of the sections (a UKI given as the stub), a device tree without the
/// FDT magic, a bad command line (NormalizeCmdline).
Result<UkiPlan> PlanUki(const UkiInputs& inputs, std::string_view arch);

/// Builds the UKI at `out`: PlanUki, then objcopy in a private temporary
/// directory beside `out`. Errors: those of PlanUki; kTool when the objcopy
/// is not installed (naming the Debian package), fails (with its stderr and
/// which objcopy handles the stub's format when it did not recognise it), or
/// produced sections elsewhere than planned; kIo when the output directory
/// cannot take the file. Nothing is left at `out` or beside it on failure.
/// The same inputs and arch give byte-identical files.
Result<UkiPlan> WriteUki(const UkiInputs& inputs, const std::filesystem::path& out,
                         const UkiOptions& options);

}  // namespace cairn::uki
