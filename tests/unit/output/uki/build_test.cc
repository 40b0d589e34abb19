// WriteUki with Debian's stubs and kernels: binutils find every section at
// the planned address with exactly the given bytes, the stub's timestamp
// kept; two builds are byte-identical; failures name the tool or package
// and leave nothing behind.
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/uki/uki.h"
#include "objdump.h"
#include "support/test_support.h"
#include "uki_inputs.h"

namespace cairn::uki {
namespace {

namespace fs = std::filesystem;
namespace dump = testing_objdump;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Deterministic filler bytes (an LCG), so a misplaced byte shows.
std::string Noise(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (auto& c : s) {
    seed = seed * 1103515245u + 12345u;
    c = static_cast<char>(seed >> 16);
  }
  return s;
}

UkiInputs SampleInputs(const testing_inputs::ArchInputs& in) {
  return UkiInputs{.stub = in.stub,
                   .kernel = in.kernel,
                   .initrd = Noise(300000, 7),
                   .cmdline = "console=ttyS0\n  panic=-1 ",
                   .os_release = "ID=cairn\nNAME=\"cairn test\"\nVERSION_ID=1\n",
                   .dtb = std::string("\xd0\x0d\xfe\xed", 4) + Noise(1000, 3)};
}

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_CASE("WriteUki adds every section at its planned VMA with the given bytes", "[uki]") {
  for (const std::string arch : {"x86_64", "aarch64"}) {
    INFO(arch);
    const auto* in = testing_inputs::ForArch(arch);
    if (!in) continue;
    if (!dump::HaveBinutils(arch)) continue;
    testing::ScratchDir dir("uki-build-" + arch);
    const UkiInputs inputs = SampleInputs(*in);
    const fs::path out = dir.path() / "out/uki.efi";
    auto start = Clock::now();
    auto plan = WriteUki(inputs, out, {.arch = arch});
    const double build_s = Since(start);
    INFO((plan.ok() ? "" : plan.error().Render()));
    REQUIRE(plan.ok());
    CHECK(Listing(out.parent_path()) == std::vector<std::string>{"uki.efi"});
    struct stat st {};
    REQUIRE(::stat(out.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);

    // binutils' view: the stub's sections unchanged, then ours where planned.
    const auto stub_sections = [&] {
      REQUIRE(WriteFileAtomic(dir.path() / "stub.efi", in->stub).ok());
      return dump::Sections(arch, dir.path() / "stub.efi");
    }();
    const auto sections = dump::Sections(arch, out);
    REQUIRE(sections.size() == stub_sections.size() + plan->sections.size());
    for (size_t i = 0; i < stub_sections.size(); ++i) {
      CHECK(sections[i].name == stub_sections[i].name);
      CHECK(sections[i].vma == stub_sections[i].vma);
      CHECK(sections[i].size == stub_sections[i].size);
    }
    const std::map<std::string, std::string> expected = {
        {".osrel", inputs.os_release}, {".cmdline", "console=ttyS0 panic=-1"},
        {".dtb", *inputs.dtb},         {".uname", in->kernel_version},
        {".initrd", inputs.initrd},    {".linux", inputs.kernel}};
    REQUIRE(plan->sections.size() == expected.size());
    for (size_t i = 0; i < plan->sections.size(); ++i) {
      const auto& want = plan->sections[i];
      const auto& got = sections[stub_sections.size() + i];
      INFO(want.name);
      CHECK(got.name == want.name);
      CHECK(got.vma == want.vma);
      CHECK(got.size == want.size);
      CHECK(got.flags == (want.name == ".linux" ? "CONTENTS, ALLOC, LOAD, READONLY, CODE"
                                                : "CONTENTS, ALLOC, LOAD, READONLY, DATA"));
      // Compared by digest: a 33 MB mismatch would drown the log.
      CHECK(Sha256Hex(dump::SectionBytes(arch, out, want.name, dir.path())) ==
            Sha256Hex(expected.at(want.name)));
    }
    // The sections do not overlap and .linux ends the image.
    for (size_t i = 1; i < sections.size(); ++i)
      CHECK(sections[i - 1].vma + sections[i - 1].size <= sections[i].vma);
    const auto headers = dump::Headers(arch, out);
    CHECK(headers.at("Time/Date") == "Thu Jan  1 00:00:00 1970");
    CHECK(dump::Hex(headers, "SizeOfImage") >= sections.back().vma + sections.back().size);

    WARN(
        fmt::format("timing: {} UKI build {:.2f} s ({} bytes)", arch, build_s, fs::file_size(out)));
  }
}

TEST_CASE("WriteUki gives byte-identical UKIs for the same inputs", "[uki]") {
  const auto* in = testing_inputs::ForArch("x86_64");
  if (!in) return;
  testing::ScratchDir dir("uki-repro");
  const UkiInputs inputs = SampleInputs(*in);
  auto first = WriteUki(inputs, dir.path() / "a/uki.efi", {.arch = "x86_64"});
  REQUIRE(first.ok());
  // A second build after the clock has moved on, in another timezone and
  // under another umask: objcopy would stamp the time; -p keeps the stub's.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const char* tz = std::getenv("TZ");
  const std::string old_tz = tz ? tz : "";
  ::setenv("TZ", "Pacific/Kiritimati", 1);
  const mode_t old_umask = ::umask(0077);
  auto second = WriteUki(inputs, dir.path() / "b/uki.efi", {.arch = "x86_64"});
  ::umask(old_umask);
  if (tz)
    ::setenv("TZ", old_tz.c_str(), 1);
  else
    ::unsetenv("TZ");
  INFO((second.ok() ? "" : second.error().Render()));
  REQUIRE(second.ok());
  auto a = ReadFile(dir.path() / "a/uki.efi");
  auto b = ReadFile(dir.path() / "b/uki.efi");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == b->size());
  CHECK(Sha256Hex(*a) == Sha256Hex(*b));

  // A different command line changes the image (the comparison is not vacuous).
  UkiInputs other = inputs;
  other.cmdline = "console=ttyS1";
  REQUIRE(WriteUki(other, dir.path() / "c/uki.efi", {.arch = "x86_64"}).ok());
  CHECK(Sha256Hex(*ReadFile(dir.path() / "c/uki.efi")) != Sha256Hex(*a));
}

TEST_CASE("WriteUki failures name the tool or package and leave nothing behind", "[uki]") {
  const auto* x86 = testing_inputs::ForArch("x86_64");
  const auto* arm = testing_inputs::ForArch("aarch64");
  if (!x86 || !arm) return;
  testing::ScratchDir dir("uki-fail");
  const fs::path out_dir = dir.path() / "out";
  REQUIRE(MakeDirs(out_dir).ok());
  const fs::path out = out_dir / "uki.efi";
  UkiInputs x86_in{.stub = x86->stub, .kernel = x86->kernel, .cmdline = "console=ttyS0"};
  UkiInputs arm_in{.stub = arm->stub, .kernel = arm->kernel, .cmdline = "console=ttyAMA0"};

  auto missing = WriteUki(x86_in, out, {.arch = "x86_64", .objcopy = "cairn-no-such-objcopy"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kTool);
  CHECK(missing.error().Render() ==
        fmt::format("building the x86_64 UKI '{}': 'cairn-no-such-objcopy' is not installed (it "
                    "adds the sections to the x86_64 stub)\nhint: install the Debian package "
                    "'binutils'",
                    out.string()));
  auto missing_arm = WriteUki(arm_in, out, {.arch = "aarch64", .objcopy = "/nonexistent/objcopy"});
  REQUIRE_FALSE(missing_arm.ok());
  CHECK(missing_arm.error().hint() == "install the Debian package 'binutils-aarch64-linux-gnu'");

#if defined(__x86_64__)
  // The host objcopy does not know the aarch64 PE format: its error, and which one does.
  auto host = WriteUki(arm_in, out, {.arch = "aarch64", .objcopy = "objcopy"});
  REQUIRE_FALSE(host.ok());
  CHECK(host.error().code() == Code::kTool);
  INFO(host.error().Render());
  CHECK(host.error().Render().find("file format not recognized") != std::string::npos);
  CHECK(host.error().hint() ==
        "'objcopy' does not know the aarch64 PE format; use 'aarch64-linux-gnu-objcopy' from the "
        "Debian package 'binutils-aarch64-linux-gnu'");
#endif

  // An objcopy that succeeds without doing the job is caught by the check.
  const fs::path fake = dir.path() / "fake-objcopy";
  REQUIRE(WriteFileAtomic(fake,
                          "#!/bin/sh\n# copies the stub unchanged\n"
                          "for a; do in=$out; out=$a; done\ncp \"$in\" \"$out\"\n",
                          0755)
              .ok());
  auto lazy = WriteUki(x86_in, out, {.arch = "x86_64", .objcopy = fake.string()});
  REQUIRE_FALSE(lazy.ok());
  CHECK(lazy.error().code() == Code::kTool);
  CHECK(lazy.error().message() ==
        fmt::format("'{}' did not add the '.cmdline' section", fake.string()));

  auto failing = WriteUki(x86_in, out, {.arch = "x86_64", .objcopy = "false"});
  REQUIRE_FALSE(failing.ok());
  CHECK(failing.error().code() == Code::kTool);

  // None of the failures left a file, temporary or final, in the output directory.
  CHECK(Listing(out_dir).empty());
  // A previous UKI survives a failed rebuild untouched.
  REQUIRE(WriteUki(x86_in, out, {.arch = "x86_64"}).ok());
  const std::string before = Sha256Hex(*ReadFile(out));
  REQUIRE_FALSE(WriteUki(x86_in, out, {.arch = "x86_64", .objcopy = "false"}).ok());
  CHECK(Listing(out_dir) == std::vector<std::string>{"uki.efi"});
  CHECK(Sha256Hex(*ReadFile(out)) == before);
}

}  // namespace
}  // namespace cairn::uki
