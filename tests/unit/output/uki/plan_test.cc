// PlanUki and its helpers: command-line normalisation, uname detection on
// Debian's kernels, section placement on Debian's stubs (checked against
// objdump's view of the stub), and the input errors, text and code.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cairn/file_util.h"
#include "cairn/uki/uki.h"
#include "objdump.h"
#include "support/test_support.h"
#include "uki_inputs.h"

namespace cairn::uki {
namespace {

namespace fs = std::filesystem;
namespace dump = testing_objdump;

template <typename T>
std::string Rendered(const Result<T>& r) {
  return r.ok() ? "ok" : r.error().Render();
}

TEST_CASE("NormalizeCmdline collapses whitespace and rejects what the stub would mangle", "[uki]") {
  CHECK(*NormalizeCmdline("console=ttyS0 root=LABEL=root") == "console=ttyS0 root=LABEL=root");
  CHECK(*NormalizeCmdline("  console=ttyS0\n  root=/dev/vda2\t\tro\r\n") ==
        "console=ttyS0 root=/dev/vda2 ro");
  CHECK(*NormalizeCmdline("\n \t") == "");
  CHECK(*NormalizeCmdline("") == "");

  auto nul = NormalizeCmdline(std::string_view("quiet\0init=/bin/sh", 18));
  REQUIRE_FALSE(nul.ok());
  CHECK(nul.error().code() == Code::kConfig);
  CHECK(nul.error().Render() ==
        "kernel command line has control character 0x00 at byte 5 (expected printable "
        "text; the stub stops at a NUL)");
  CHECK(Rendered(NormalizeCmdline("a\x1b[0mb")) ==
        "kernel command line has control character 0x1b at byte 1 (expected printable "
        "text; the stub stops at a NUL)");
  CHECK(NormalizeCmdline(std::string(2047, 'x')).ok());
  CHECK(Rendered(NormalizeCmdline(std::string(2048, 'x'))) ==
        "kernel command line is 2048 bytes (the kernel keeps at most 2047; the rest would "
        "be lost)");
}

TEST_CASE("StubPath and DefaultObjcopy name Debian's files and packages", "[uki]") {
  CHECK(*StubPath("x86_64") == "usr/lib/systemd/boot/efi/linuxx64.efi.stub");
  CHECK(*StubPath("aarch64") == "usr/lib/systemd/boot/efi/linuxaa64.efi.stub");
  CHECK(Rendered(StubPath("armv7")) ==
        "unsupported UKI architecture 'armv7' (expected 'x86_64' or 'aarch64')");
  auto arm = DefaultObjcopy("aarch64");
  auto x86 = DefaultObjcopy("x86_64");
  REQUIRE(arm.ok());
  REQUIRE(x86.ok());
#if defined(__x86_64__)
  CHECK(x86->program == "objcopy");
  CHECK(x86->debian_package == "binutils");
  CHECK(arm->program == "aarch64-linux-gnu-objcopy");
  CHECK(arm->debian_package == "binutils-aarch64-linux-gnu");
#elif defined(__aarch64__)
  CHECK(arm->program == "objcopy");
  CHECK(x86->program == "x86_64-linux-gnu-objcopy");
  CHECK(x86->debian_package == "binutils-x86-64-linux-gnu");
#endif
  CHECK(DefaultObjcopy("riscv64").error().code() == Code::kUsage);
}

TEST_CASE("KernelUname finds the version of Debian's x86 and arm64 kernels", "[uki]") {
  for (const std::string arch : {"x86_64", "aarch64"}) {
    INFO(arch);
    const auto* in = testing_inputs::ForArch(arch);
    if (!in) continue;
    // The package names the file boot/vmlinuz-<uname -r>.
    CHECK(KernelUname(in->kernel, arch) == in->kernel_version);
  }
  CHECK(KernelUname("MZ not a kernel", "x86_64") == std::nullopt);
  CHECK(KernelUname("xx Linux version (none)", "aarch64") == std::nullopt);
  CHECK(KernelUname("xx Linux version 6.9.1-test (me@host) #1", "aarch64") == "6.9.1-test");
}

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

TEST_CASE("PlanUki places the sections after the stub's, in ukify's order, kernel last", "[uki]") {
  for (const std::string arch : {"x86_64", "aarch64"}) {
    INFO(arch);
    const auto* in = testing_inputs::ForArch(arch);
    if (!in) continue;
    if (!dump::HaveBinutils(arch)) continue;
    testing::ScratchDir dir("uki-plan-" + arch);
    REQUIRE(WriteFileAtomic(dir.path() / "stub.efi", in->stub).ok());

    UkiInputs inputs{.stub = in->stub,
                     .kernel = in->kernel,
                     .initrd = std::string(100001, 'i'),
                     .cmdline = " console=ttyS0\n  quiet \n",
                     .os_release = "ID=cairn\n",
                     .dtb = std::string("\xd0\x0d\xfe\xed", 4) + std::string(60, '\0')};
    auto plan = PlanUki(inputs, arch);
    INFO(Rendered(plan));
    REQUIRE(plan.ok());
    CHECK(plan->cmdline == "console=ttyS0 quiet");
    CHECK(plan->uname == in->kernel_version);
    CHECK(plan->alignment == std::max<uint64_t>(4096, plan->stub.section_alignment));

    std::vector<std::string> names;
    for (const auto& s : plan->sections) names.push_back(s.name);
    CHECK(names ==
          std::vector<std::string>{".osrel", ".cmdline", ".dtb", ".uname", ".initrd", ".linux"});
    const std::vector<uint64_t> sizes = {
        9, 19, 64, in->kernel_version.size(), 100001, in->kernel.size()};
    // The first goes at the first page after everything objdump sees in the
    // stub (and its SizeOfImage); each next one at the first page after the last.
    uint64_t stub_end = 0;
    for (const auto& s : dump::Sections(arch, dir.path() / "stub.efi"))
      stub_end = std::max(stub_end, s.vma + s.size);
    const auto headers = dump::Headers(arch, dir.path() / "stub.efi");
    const uint64_t base = dump::Hex(headers, "ImageBase");
    stub_end = std::max(stub_end, base + dump::Hex(headers, "SizeOfImage"));
    uint64_t vma = AlignUp(stub_end, 4096);
    for (size_t i = 0; i < plan->sections.size(); ++i) {
      INFO(plan->sections[i].name);
      CHECK(plan->sections[i].vma == vma);
      CHECK(plan->sections[i].size == sizes[i]);
      CHECK(plan->sections[i].vma % plan->stub.section_alignment == 0);
      vma = AlignUp(vma + sizes[i], 4096);
    }

    // Empty inputs get no section; a given uname wins over the kernel's.
    UkiInputs bare{.stub = in->stub, .kernel = in->kernel, .uname = "custom-1"};
    auto minimal = PlanUki(bare, arch);
    REQUIRE(minimal.ok());
    REQUIRE(minimal->sections.size() == 2);
    CHECK(minimal->sections[0].name == ".uname");
    CHECK(minimal->sections[0].size == 8);
    CHECK(minimal->sections[1].name == ".linux");
    CHECK(minimal->sections[0].vma == AlignUp(stub_end, 4096));
  }
}

TEST_CASE("PlanUki rejects inputs the stub could not boot, saying what it expected", "[uki]") {
  const auto* x86 = testing_inputs::ForArch("x86_64");
  const auto* arm = testing_inputs::ForArch("aarch64");
  if (!x86 || !arm) return;
  auto error = [](const UkiInputs& in, std::string_view arch, Code code) {
    auto r = PlanUki(in, arch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == code);
    return r.error().Render();
  };
  UkiInputs in{.stub = x86->stub, .kernel = x86->kernel};

  CHECK(error({.kernel = x86->kernel}, "x86_64", Code::kNotFound) ==
        "no UKI stub given (expected the bytes of "
        "usr/lib/systemd/boot/efi/linuxx64.efi.stub)");
  CHECK(error({.stub = x86->stub}, "x86_64", Code::kNotFound) ==
        "no kernel given (expected the bytes of the image's boot/vmlinuz-*)");
  CHECK(error(in, "arm64", Code::kUsage) ==
        "unsupported UKI architecture 'arm64' (expected 'x86_64' or 'aarch64')");

  UkiInputs elf_stub = in;
  elf_stub.stub = x86->busybox;
  CHECK(error(elf_stub, "x86_64", Code::kConfig) ==
        "reading the UKI stub: not a PE file: it starts with 7f 45 4c 46 (expected an 'MZ' "
        "DOS header)");
  CHECK(error({.stub = arm->stub, .kernel = x86->kernel}, "x86_64", Code::kConfig) ==
        "UKI stub is built for aarch64 (expected x86_64: "
        "usr/lib/systemd/boot/efi/linuxx64.efi.stub)");
  CHECK(error({.stub = arm->stub, .kernel = x86->kernel}, "aarch64", Code::kConfig) ==
        "checking the UKI kernel: kernel is built for x86_64 (expected aarch64)");
  CHECK(error({.stub = x86->stub, .kernel = x86->busybox}, "x86_64", Code::kConfig) ==
        "checking the UKI kernel: kernel is not an EFI executable (not a PE file: it "
        "starts with 7f 45 4c 46 (expected an 'MZ' DOS header)); a kernel built with "
        "CONFIG_EFI_STUB is needed");
  auto gz = error({.stub = arm->stub, .kernel = std::string("\x1f\x8b\x08\x00", 4) + arm->kernel},
                  "aarch64", Code::kConfig);
  CHECK(gz ==
        "checking the UKI kernel: kernel is gzip-compressed (expected an EFI PE image the "
        "stub can start)\nhint: give the uncompressed kernel (an arm64 'Image'; Debian's "
        "linux-image-*-arm64 ships it uncompressed as /boot/vmlinuz-*)");
  // An x86 PE that is no bzImage (the stub itself), and one whose setup header is too old.
  CHECK(error({.stub = x86->stub, .kernel = x86->stub}, "x86_64", Code::kConfig) ==
        "checking the UKI kernel: kernel is not an x86 bzImage (no 'HdrS' setup header at "
        "0x202)");
  UkiInputs old = in;
  old.kernel[0x206] = 0x0a;  // boot protocol 2.10
  CHECK(error(old, "x86_64", Code::kConfig) ==
        "checking the UKI kernel: kernel speaks x86 boot protocol 2.10 (expected 2.11 or "
        "later for the EFI handover entry that systemd-stub uses)");
  UkiInputs fixed = in;
  fixed.kernel[0x234] = 0;
  CHECK(error(fixed, "x86_64", Code::kConfig) ==
        "checking the UKI kernel: kernel is not relocatable (CONFIG_RELOCATABLE is off), "
        "which systemd-stub needs to place it");
  UkiInputs no_image = {.stub = arm->stub, .kernel = arm->kernel};
  no_image.kernel[0x38] = 'X';
  CHECK(error(no_image, "aarch64", Code::kConfig) ==
        "checking the UKI kernel: kernel has no arm64 Image header (magic 'ARM\\x64' at "
        "0x38)");

  UkiInputs bad_dtb = in;
  bad_dtb.dtb = "not a dtb";
  CHECK(error(bad_dtb, "x86_64", Code::kConfig) ==
        "UKI device tree is not a flattened device tree (expected the magic d00dfeed of a "
        ".dtb)");
  UkiInputs bad_cmdline = in;
  bad_cmdline.cmdline = std::string("a\0b", 3);
  CHECK(error(bad_cmdline, "x86_64", Code::kConfig) ==
        "kernel command line has control character 0x00 at byte 1 (expected printable "
        "text; the stub stops at a NUL)");
}

}  // namespace
}  // namespace cairn::uki
