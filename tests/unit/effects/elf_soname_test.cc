#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "effects/elf_soname.h"
#include "support/test_support.h"
#include "unit/effects/synthetic_elf.h"

namespace cairn::effects::internal {
namespace {

using effects::testing::ElfSpec;
using effects::testing::MakeElf;

struct Spool {
  cairn::testing::ScratchDir dir{"elf"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());

  ElfLibrary Read(const std::string& bytes) {
    auto blob = store->AppendBytes(bytes);
    REQUIRE(blob.ok());
    auto lib = ReadElfSoname(*store, *blob);
    REQUIRE(lib.ok());
    return *lib;
  }
};

TEST_CASE("elf reader finds DT_SONAME in all four class/byte-order combinations",
          "[effects][ldconfig]") {
  Spool s;
  for (bool is64 : {true, false}) {
    for (bool big : {false, true}) {
      ElfSpec spec;
      spec.is64 = is64;
      spec.big_endian = big;
      spec.machine = is64 ? kEmAarch64 : kEmArm;
      spec.flags = 0x05000400;
      spec.soname = "libexample.so.3";
      ElfLibrary lib = s.Read(MakeElf(spec));
      INFO("is64=" << is64 << " big=" << big);
      CHECK(lib.usable);
      CHECK(lib.skip_reason.empty());
      CHECK(lib.is64 == is64);
      CHECK(lib.big_endian == big);
      CHECK(lib.machine == spec.machine);
      CHECK(lib.e_flags == 0x05000400);
      CHECK(lib.soname == "libexample.so.3");
    }
  }
}

TEST_CASE("elf reader accepts a shared object without DT_SONAME", "[effects][ldconfig]") {
  Spool s;
  ElfLibrary lib = s.Read(MakeElf(ElfSpec{}));
  CHECK(lib.usable);
  CHECK(lib.soname.empty());
}

TEST_CASE("elf reader skips files ldconfig would not index, with the reason",
          "[effects][ldconfig]") {
  Spool s;
  CHECK(s.Read("GROUP ( /usr/lib/libc.so.6 /usr/lib/libc_nonshared.a ) and some padding text")
            .skip_reason == "not an ELF file");
  CHECK(s.Read("\x7f" "ELF").skip_reason == "file is too small to be a shared object");

  ElfSpec exec;
  exec.type = 2;
  CHECK(s.Read(MakeElf(exec)).skip_reason == "not a shared object (ELF type 2)");

  ElfSpec no_dynamic;
  no_dynamic.dynamic = false;
  CHECK(s.Read(MakeElf(no_dynamic)).skip_reason == "no dynamic segment");

  ElfSpec named;
  named.soname = "libcut.so.1";
  std::string bytes = MakeElf(named);
  bytes[39] = '\x7f';  // top byte of e_phoff: far beyond the end of the file
  CHECK(s.Read(bytes).skip_reason == "program headers lie outside the file");
}

TEST_CASE("elf reader reads the soname of the host's real libz", "[effects][ldconfig]") {
  std::ifstream in("/lib/x86_64-linux-gnu/libz.so.1", std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  Spool s;
  ElfLibrary lib = s.Read(ss.str());
  CHECK(lib.usable);
  CHECK(lib.is64);
  CHECK_FALSE(lib.big_endian);
  CHECK(lib.machine == kEmX8664);
  CHECK(lib.soname == "libz.so.1");
}

}  // namespace
}  // namespace cairn::effects::internal
