// The generated hello programs: they run (natively or under qemu-user, which
// tools/setup.sh installs) and binutils' readelf accepts their headers.
#include "cairn/testrepo/elf_hello.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/test_support.h"

namespace {

using cairn::testing::RunCommand;
using cairn::testing::ScratchDir;

std::string WriteProgram(const ScratchDir& dir, const std::string& arch, const std::string& msg) {
  auto elf = cairn::testrepo::MakeHelloElf(arch, msg);
  REQUIRE(elf.ok());
  std::string path = (dir.path() / ("hello-" + arch)).string();
  std::ofstream(path, std::ios::binary) << *elf;
  REQUIRE(::chmod(path.c_str(), 0755) == 0);
  return path;
}

}  // namespace

TEST_CASE("x86_64 hello program prints its message and exits 0", "[mkrepo][elf]") {
  ScratchDir dir("elf");
  std::string path = WriteProgram(dir, "x86_64", "hello from cairn (x86_64)\n");
#if defined(__x86_64__)
  auto run = RunCommand({path});
#else
  auto run = RunCommand({"qemu-x86_64", path});
#endif
  CHECK(run.exit_code == 0);
  CHECK(run.out == "hello from cairn (x86_64)\n");
  CHECK(run.err.empty());
}

TEST_CASE("aarch64 hello program runs under qemu-aarch64", "[mkrepo][elf]") {
  ScratchDir dir("elf");
  std::string path = WriteProgram(dir, "aarch64", "hello from cairn (aarch64)\n");
#if defined(__aarch64__)
  auto run = RunCommand({path});
#else
  auto run = RunCommand({"qemu-aarch64", path});
#endif
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out == "hello from cairn (aarch64)\n");
}

TEST_CASE("hello programs have the ELF headers readelf expects", "[mkrepo][elf]") {
  ScratchDir dir("elf");
  struct Case {
    std::string arch, machine;
  };
  for (const Case& c :
       {Case{"x86_64", "Advanced Micro Devices X86-64"}, Case{"aarch64", "AArch64"}}) {
    std::string path = WriteProgram(dir, c.arch, "x\n");
    auto h = RunCommand({"readelf", "-h", path});
    REQUIRE(h.exit_code == 0);
    CHECK(h.err.empty());
    CHECK_THAT(h.out, Catch::Contains("Class:                             ELF64"));
    CHECK_THAT(h.out,
               Catch::Contains("Data:                              2's complement, little endian"));
    CHECK_THAT(h.out, Catch::Contains("Type:                              EXEC (Executable file)"));
    CHECK_THAT(h.out, Catch::Contains("Machine:                           " + c.machine + "\n"));
    CHECK_THAT(h.out, Catch::Contains("Entry point address:               0x400078"));
    CHECK_THAT(h.out, Catch::Contains("Number of program headers:         1"));
    auto l = RunCommand({"readelf", "-lW", path});
    REQUIRE(l.exit_code == 0);
    CHECK_THAT(l.out, Catch::Contains("LOAD           0x000000 0x0000000000400000"));
    CHECK_THAT(l.out, Catch::Contains("R E"));
  }
}

TEST_CASE("hello program generator rejects unknown architectures", "[mkrepo][elf]") {
  auto r = cairn::testrepo::MakeHelloElf("riscv64", "x\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == cairn::Code::kUsage);
  CHECK(r.error().message() ==
        "no program generator for architecture 'riscv64' (expected 'x86_64' or 'aarch64')");
}
