// PlanUki and its helpers: which sections a UKI gets, what the text ones
// hold, and at which addresses they go. No files are touched here.
#include <fmt/format.h>

#include <algorithm>

#include "cairn/uki/uki.h"
#include "kernel.h"

namespace cairn::uki {
namespace {

// UEFI allocates and protects memory in 4 KiB pages; ukify's objcopy path
// rounded every section to 4096 too. Debian's x86 stub has a SectionAlignment
// of only 512.
constexpr uint64_t kPageSize = 4096;
// COMMAND_LINE_SIZE on x86 and arm64, including the terminating NUL.
constexpr size_t kMaxCmdline = 2047;
constexpr std::string_view kFdtMagic = "\xd0\x0d\xfe\xed";

uint64_t AlignUp(uint64_t v, uint64_t alignment) {
  return (v + alignment - 1) / alignment * alignment;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Status CheckArch(std::string_view arch) {
  if (arch == "x86_64" || arch == "aarch64") return {};
  return UsageError(
      fmt::format("unsupported UKI architecture '{}' (expected 'x86_64' or 'aarch64')", arch));
}

constexpr std::string_view HostArch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "";
#endif
}

}  // namespace

Result<ObjcopyTool> DefaultObjcopy(std::string_view arch) {
  CAIRN_TRY(CheckArch(arch));
  if (arch == HostArch()) return ObjcopyTool{"objcopy", "binutils"};
  if (arch == "x86_64") return ObjcopyTool{"x86_64-linux-gnu-objcopy", "binutils-x86-64-linux-gnu"};
  return ObjcopyTool{"aarch64-linux-gnu-objcopy", "binutils-aarch64-linux-gnu"};
}

Result<std::string> StubPath(std::string_view arch) {
  CAIRN_TRY(CheckArch(arch));
  return fmt::format("usr/lib/systemd/boot/efi/linux{}.efi.stub",
                     arch == "x86_64" ? "x64" : "aa64");
}

Result<std::string> NormalizeCmdline(std::string_view cmdline) {
  std::string out;
  bool pending_space = false;
  for (size_t i = 0; i < cmdline.size(); ++i) {
    const char c = cmdline[i];
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return Error(Code::kConfig,
                   fmt::format("kernel command line has control character {:#04x} at byte {} "
                               "(expected printable text; the stub stops at a NUL)",
                               u, i));
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  if (out.size() > kMaxCmdline)
    return Error(Code::kConfig, fmt::format("kernel command line is {} bytes (the kernel keeps at "
                                            "most {}; the rest would be lost)",
                                            out.size(), kMaxCmdline));
  return out;
}

Result<UkiPlan> PlanUki(const UkiInputs& in, std::string_view arch) {
  CAIRN_TRY(CheckArch(arch));
  if (in.stub.empty())
    return NotFoundError(
        fmt::format("no UKI stub given (expected the bytes of {})", *StubPath(arch)));
  if (in.kernel.empty())
    return NotFoundError("no kernel given (expected the bytes of the image's boot/vmlinuz-*)");

  UkiPlan plan;
  auto stub = ParsePeHeaders(in.stub);
  if (!stub.ok()) return std::move(stub).error().Context("reading the UKI stub");
  plan.stub = std::move(*stub);
  const uint16_t want = arch == "x86_64" ? kMachineX64 : kMachineArm64;
  if (plan.stub.machine != want)
    return Error(Code::kConfig, fmt::format("UKI stub is built for {} (expected {}: {})",
                                            MachineName(plan.stub.machine), arch, *StubPath(arch)));
  CAIRN_TRY_CTX(internal::CheckKernel(in.kernel, arch), "checking the UKI kernel");
  if (in.dtb && in.dtb->substr(0, 4) != kFdtMagic)
    return Error(Code::kConfig,
                 "UKI device tree is not a flattened device tree (expected the "
                 "magic d00dfeed of a .dtb)");

  CAIRN_ASSIGN_OR_RETURN(plan.cmdline, NormalizeCmdline(in.cmdline));
  if (!in.uname.empty())
    plan.uname = in.uname;
  else if (auto found = KernelUname(in.kernel, arch))
    plan.uname = *found;

  // ukify's order; empty inputs get no section.
  struct Part {
    const char* name;
    uint64_t size;
  };
  std::vector<Part> parts;
  if (!in.os_release.empty()) parts.push_back({".osrel", in.os_release.size()});
  if (!plan.cmdline.empty()) parts.push_back({".cmdline", plan.cmdline.size()});
  if (in.dtb && !in.dtb->empty()) parts.push_back({".dtb", in.dtb->size()});
  if (!plan.uname.empty()) parts.push_back({".uname", plan.uname.size()});
  if (!in.initrd.empty()) parts.push_back({".initrd", in.initrd.size()});
  parts.push_back({".linux", in.kernel.size()});

  for (const Part& p : parts)
    if (plan.stub.Find(p.name))
      return Error(Code::kConfig,
                   fmt::format("UKI stub already has a '{}' section (expected systemd's bare "
                               "stub, not a UKI)",
                               p.name));

  plan.alignment = std::max<uint64_t>(plan.stub.section_alignment, kPageSize);
  // Past every stub section and its declared image size, whichever ends later.
  uint64_t rva = AlignUp(std::max<uint64_t>(plan.stub.EndOfSections(), plan.stub.size_of_image),
                         plan.alignment);
  for (const Part& p : parts) {
    plan.sections.push_back({p.name, plan.stub.image_base + rva, p.size});
    rva = AlignUp(rva + p.size, plan.alignment);
  }
  // RVAs and SizeOfImage are 32-bit fields.
  if (rva > UINT32_MAX)
    return Error(Code::kConfig, fmt::format("UKI would be {} bytes in memory (a PE image holds at "
                                            "most 4 GiB)",
                                            rva));
  return plan;
}

}  // namespace cairn::uki
