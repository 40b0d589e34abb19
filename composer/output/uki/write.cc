// WriteUki: the planned sections written to a private temporary directory,
// objcopy run on them, its output checked against the plan and only then
// copied to the final name (OutputFile: temporary name, fsync, rename).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "cairn/file_util.h"
#include "cairn/mapped_file.h"
#include "cairn/output_file.h"
#include "cairn/subprocess.h"
#include "cairn/uki/uki.h"

namespace cairn::uki {
namespace {

namespace fs = std::filesystem;

// A scratch file for objcopy; not fsync'ed, it only lives for this build.
Status WriteScratch(const fs::path& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(fmt::format("cannot create '{}'", path.string()), errno);
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return ErrnoError(fmt::format("cannot write '{}'", path.string()), e);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0) return ErrnoError(fmt::format("cannot write '{}'", path.string()), errno);
  return {};
}

// The bytes of a planned section.
std::string_view Content(const UkiInputs& in, const UkiPlan& plan, std::string_view name) {
  if (name == ".osrel") return in.os_release;
  if (name == ".cmdline") return plan.cmdline;
  if (name == ".dtb") return *in.dtb;
  if (name == ".uname") return plan.uname;
  if (name == ".initrd") return in.initrd;
  return in.kernel;
}

// Which objcopy to run, and a kTool error naming the package when it is missing.
Result<ObjcopyTool> FindObjcopy(const UkiOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(ObjcopyTool tool, DefaultObjcopy(options.arch));
  if (!options.objcopy.empty()) tool.program = options.objcopy;
  const bool is_path = tool.program.find('/') != std::string::npos;
  if (is_path ? !fs::exists(tool.program) : !FindProgram(tool.program))
    return ToolError(fmt::format("'{}' is not installed (it adds the sections to the {} stub)",
                                 tool.program, options.arch))
        .Hint(fmt::format("install the Debian package '{}'", tool.debian_package));
  return tool;
}

// objcopy must have put every section where the plan says and kept the
// stub's timestamp; another objcopy (llvm-objcopy ignores
// --change-section-vma for PE) would otherwise pass unnoticed until boot.
Status CheckOutput(std::string_view bytes, const UkiPlan& plan, const std::string& objcopy) {
  auto pe = ParsePeHeaders(bytes);
  if (!pe.ok())
    return ToolError(
        fmt::format("'{}' wrote a file that is not a PE image: {}", objcopy, pe.error().message()));
  for (const UkiSection& want : plan.sections) {
    const PeSection* got = pe->Find(want.name);
    if (!got)
      return ToolError(fmt::format("'{}' did not add the '{}' section", objcopy, want.name));
    const uint64_t vma = pe->image_base + got->virtual_address;
    if (vma != want.vma || got->virtual_size != want.size)
      return ToolError(
          fmt::format("'{}' placed section '{}' at {:#x} with {} bytes (expected {:#x} "
                      "with {} bytes)",
                      objcopy, want.name, vma, got->virtual_size, want.vma, want.size));
  }
  if (pe->timestamp != plan.stub.timestamp)
    return ToolError(
        fmt::format("'{}' changed the PE timestamp to {} (expected the stub's {}, "
                    "for a reproducible UKI)",
                    objcopy, pe->timestamp, plan.stub.timestamp));
  return {};
}

Result<UkiPlan> Write(const UkiInputs& in, const fs::path& out, const UkiOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(UkiPlan plan, PlanUki(in, options.arch));
  CAIRN_ASSIGN_OR_RETURN(ObjcopyTool tool, FindObjcopy(options));

  const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  CAIRN_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create(dir, "uki"));
  const fs::path stub = scratch.path() / "stub.efi";
  const fs::path built = scratch.path() / "uki.efi";
  CAIRN_TRY(WriteScratch(stub, in.stub));

  ProcessOptions run;
  run.argv = {tool.program, "-p"};
  for (const UkiSection& s : plan.sections) {
    // File names without the leading dot, so none is hidden or clashes.
    const fs::path file = scratch.path() / s.name.substr(1);
    CAIRN_TRY(WriteScratch(file, Content(in, plan, s.name)));
    const char* flags = s.name == ".linux" ? "code,readonly" : "data,readonly";
    run.argv.insert(run.argv.end(), {"--add-section", fmt::format("{}={}", s.name, file.string()),
                                     "--change-section-vma", fmt::format("{}={:#x}", s.name, s.vma),
                                     "--set-section-flags", fmt::format("{}={}", s.name, flags)});
  }
  run.argv.insert(run.argv.end(), {stub.string(), built.string()});
  run.env_set = {{"LC_ALL", "C"}};
  run.timeout = options.timeout;
  CAIRN_ASSIGN_OR_RETURN(ProcessResult result, RunProcess(run));
  if (!result.ok()) {
    Error e = FailedProcessError(run, result);
    if (result.stderr_data.find("file format not recognized") != std::string::npos) {
      auto native = DefaultObjcopy(options.arch);
      e.Hint(
          fmt::format("'{}' does not know the {} PE format; use '{}' from the Debian package "
                      "'{}'",
                      tool.program, options.arch, native->program, native->debian_package));
    }
    return e;
  }

  CAIRN_ASSIGN_OR_RETURN(MappedFile uki, MappedFile::Open(built));
  CAIRN_TRY(CheckOutput(uki.data(), plan, tool.program));
  CAIRN_ASSIGN_OR_RETURN(OutputFile file, OutputFile::Create(out, 0644));
  CAIRN_TRY(file.Write(uki.data().data(), uki.data().size()));
  CAIRN_TRY(file.Commit());
  return plan;
}

}  // namespace

Result<UkiPlan> WriteUki(const UkiInputs& inputs, const fs::path& out, const UkiOptions& options) {
  auto plan = Write(inputs, out, options);
  if (!plan.ok())
    return std::move(plan).error().Context(
        fmt::format("building the {} UKI '{}'", options.arch, out.string()));
  return plan;
}

}  // namespace cairn::uki
