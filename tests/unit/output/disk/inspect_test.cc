// disk::InspectDisk and its parsers. The parsers are pure functions tested on
// text; the two [guestfs] cases build real disks with WriteDiskImage, inspect
// them through the libguestfs appliance (one launch each) and compare every
// field with the plan WriteDiskImage returned and with `sfdisk --json`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>

#include <nlohmann/json.hpp>

#include "cairn/disk/image.h"
#include "cairn/disk/inspect.h"
#include "output/disk/boot_config.h"
#include "output/disk/package_db.h"
#include "output/disk/text_lines.h"
#include "support/tree_fixture.h"
#include "unit/output/disk/disk_test_util.h"

namespace cairn::disk {
namespace {

using namespace testutil;
using internal::ParseApkInstalled;
using internal::ParseDpkgStatus;
using internal::ParseExtlinuxConfig;
using internal::ParseGrubConfig;
using internal::ParseLoaderEntry;
using internal::ParseOsRelease;
using internal::ParsePeHeaders;

// ---------------------------------------------------------------------------
// Fixture data shared by the parser tests and the disk tests.

const char kLoaderEntry[] =
    "# written by cairn\n"
    "title   Cairn Test OS\n"
    "version 6.1.0\n"
    "linux   /vmlinuz\n"
    "initrd  /intel-ucode.img\n"
    "initrd  /initrd.img\n"
    "options root=PARTUUID=00000000-1111-4222-8333-444444444444 ro\n"
    "options console=ttyS0\n"
    "devicetree /dtbs/board.dtb\n";

const char kGrubCfg[] =
    "set default=0\n"
    "function load_video {\n"
    "  insmod all_video\n"
    "}\n"
    "if [ \"${timeout}\" = 0 ]; then\n"
    "  set timeout_style=hidden\n"
    "fi\n"
    "menuentry 'Cairn GNU/Linux' --class cairn --class os $menuentry_id_option "
    "'gnulinux-simple' {\n"
    "\tload_video\n"
    "\tif [ x$feature_all_video_module = xy ]; then insmod all_video; fi\n"
    "\tlinux\t/boot/vmlinuz-6.1.0 root=UUID=1234 ro  quiet\n"
    "\tinitrd\t/boot/initrd.img-6.1.0\n"
    "}\n"
    "submenu 'Advanced options for Cairn' {\n"
    "\tmenuentry 'Cairn'\\''s \"rescue\" mode' {\n"
    "\t\tlinuxefi ${prefix}/vmlinuz single\n"
    "\t\tinitrdefi /ucode.img /initrd.img\n"
    "\t\tdevicetree /board.dtb\n"
    "\t}\n"
    "\tmenuentry \"Double \\\"quoted\\\"\" {\n"
    "\t\tlinux /vmlinuz-old\n"
    "\t}\n"
    "}\n";

const char kExtlinux[] =
    "DEFAULT cairn\n"
    "TIMEOUT 10\n"
    "MENU TITLE boot menu\n"
    "\n"
    "LABEL cairn\n"
    "  MENU LABEL Cairn (default)\n"
    "  KERNEL /vmlinuz\n"
    "  INITRD /initrd-a.img,/initrd-b.img\n"
    "  APPEND console=ttyAMA0 root=/dev/vda2 rootfstype=ext4\n"
    "  FDT /bcm2837-rpi-3-b.dtb\n"
    "label fallback\n"
    "  linux /vmlinuz.old\n"
    "  fdtdir /dtbs\n";

// The dpkg status of the disk test: one package installed, one removed with
// its config files left, one on hold (still installed).
const char kDpkgStatus[] =
    "Package: base-files\n"
    "Status: install ok installed\n"
    "Priority: required\n"
    "Architecture: amd64\n"
    "Version: 12.4+deb12u5\n"
    "Description: Debian base system miscellaneous files\n"
    " This package contains the basic filesystem hierarchy.\n"
    " .\n"
    " Package: not-a-field\n"
    "\n"
    "Package: removed-tool\n"
    "Status: deinstall ok config-files\n"
    "Architecture: amd64\n"
    "Version: 1.0-1\n"
    "\n"
    "Package: busybox\n"
    "Status: hold ok installed\n"
    "Architecture: amd64\n"
    "Version: 1:1.35.0-4+b3\n";

const char kApkInstalled[] =
    "C:Q1qKcZ+j23xssAXmgQhkOO8dHnbWw=\n"
    "P:musl\n"
    "V:1.2.5-r0\n"
    "A:x86_64\n"
    "S:383152\n"
    "F:lib\n"
    "R:ld-musl-x86_64.so.1\n"
    "a:0:0:755\n"
    "Z:Q1Hmqk+2j2IJSUMAyj9yxFlT81lvo=\n"
    "\n"
    "P:busybox\n"
    "V:1.36.1-r29\n"
    "A:x86_64\n"
    "F:bin\n"
    "R:busybox\n";

const char kOsRelease[] =
    "PRETTY_NAME=\"Cairn Test OS 1.0 (\\\"inspect\\\")\"\n"
    "NAME='Cairn Test OS'\n"
    "# a comment\n"
    "ID=cairn-test\n"
    "VERSION_ID=\"1.0\"\n";

// A minimal PE32+ image (EFI application) with the given sections, each
// holding its content; objdump reads it as pei-x86-64 / pei-aarch64-little.
std::string MakePe(uint16_t machine,
                   const std::vector<std::pair<std::string, std::string>>& sections) {
  std::string out;
  auto put = [&](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto align = [](uint64_t v, uint64_t a) { return (v + a - 1) / a * a; };
  const uint64_t n = sections.size();
  const uint64_t headers = align(0x40 + 4 + 20 + 240 + 40 * n, 0x200);
  uint64_t image_size = 0x1000;
  for (const auto& s : sections) image_size += align(s.second.size(), 0x1000);
  out = "MZ";
  out.resize(0x3c, '\0');
  put(0x40, 4);
  out += std::string("PE\0\0", 4);
  put(machine, 2), put(n, 2), put(0, 4), put(0, 4), put(0, 4), put(240, 2), put(0x0206, 2);
  // Optional header (PE32+): magic, linker version, code sizes, entry, base of code.
  put(0x20b, 2), put(0, 2), put(0, 4), put(0, 4), put(0, 4), put(0, 4), put(0x1000, 4);
  put(0, 8), put(0x1000, 4), put(0x200, 4);                   // image base, section/file alignment
  for (int i = 0; i < 6; ++i) put(0, 2);                      // OS, image, subsystem versions
  put(0, 4), put(image_size, 4), put(headers, 4), put(0, 4);  // win32, image, headers, checksum
  put(10, 2), put(0, 2);                                      // subsystem: EFI application
  for (int i = 0; i < 4; ++i) put(0, 8);                      // stack and heap sizes
  put(0, 4), put(16, 4);                                      // loader flags, data directories
  out.resize(out.size() + 16 * 8, '\0');
  uint64_t raw = headers, va = 0x1000;
  std::string data;
  for (const auto& [name, content] : sections) {
    const uint64_t raw_size = align(content.size(), 0x200);
    std::string padded = name;
    padded.resize(8, '\0');
    out += padded;
    put(content.size(), 4), put(va, 4), put(raw_size, 4), put(raw, 4);
    put(0, 4), put(0, 4), put(0, 2), put(0, 2), put(0x40000040, 4);
    data += content;
    data.resize(data.size() + raw_size - content.size(), '\0');
    raw += raw_size;
    va += align(content.size(), 0x1000);
  }
  out.resize(headers, '\0');
  return out + data;
}

// Section names as `objdump -h` lists them (an independent PE reader).
std::vector<std::string> ObjdumpSections(const std::string& objdump, const fs::path& file,
                                         std::string* format) {
  auto r = RunCommand({objdump, "-h", file.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  if (std::regex_search(r.out, m, std::regex(R"(file format (\S+))"))) *format = m[1];
  std::vector<std::string> names;
  std::regex row(R"(^\s*\d+\s+(\S+)\s+[0-9a-f]+\s)");
  for (std::string_view line : internal::SplitLines(r.out)) {
    std::string s(line);
    if (std::regex_search(s, m, row)) names.push_back(m[1]);
  }
  return names;
}

std::vector<std::string> Names(const std::vector<InstalledPackage>& pkgs) {
  std::vector<std::string> out;
  for (const auto& p : pkgs) out.push_back(p.name + " " + p.version + " " + p.arch);
  return out;
}

// ---------------------------------------------------------------------------
// Parsers.

TEST_CASE("systemd-boot entries: repeated initrd and options, comments", "[inspect]") {
  BootEntry e = ParseLoaderEntry(kLoaderEntry, "/loader/entries/cairn.conf");
  CHECK(e.loader == "systemd-boot");
  CHECK(e.file == "/loader/entries/cairn.conf");
  CHECK(e.title == "Cairn Test OS");
  CHECK(e.kernel == "/vmlinuz");
  CHECK(e.initrds == std::vector<std::string>{"/intel-ucode.img", "/initrd.img"});
  CHECK(e.options == "root=PARTUUID=00000000-1111-4222-8333-444444444444 ro console=ttyS0");
  CHECK(e.devicetree == "/dtbs/board.dtb");
  // An entry that starts a UKI names it with `efi`; CRLF line ends are tolerated.
  BootEntry uki = ParseLoaderEntry("title UKI\r\nefi /EFI/Linux/cairn.efi\r\n", "/x.conf");
  CHECK(uki.title == "UKI");
  CHECK(uki.kernel == "/EFI/Linux/cairn.efi");
  CHECK(uki.initrds.empty());
}

TEST_CASE("grub.cfg: menu entries, submenus, quoting, functions and ${vars}", "[inspect]") {
  auto entries = ParseGrubConfig(kGrubCfg, "/boot/grub/grub.cfg");
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].loader == "grub");
  CHECK(entries[0].file == "/boot/grub/grub.cfg");
  CHECK(entries[0].title == "Cairn GNU/Linux");
  CHECK(entries[0].kernel == "/boot/vmlinuz-6.1.0");
  CHECK(entries[0].options == "root=UUID=1234 ro  quiet");
  CHECK(entries[0].initrds == std::vector<std::string>{"/boot/initrd.img-6.1.0"});
  CHECK(entries[1].title == "Cairn's \"rescue\" mode");
  CHECK(entries[1].kernel == "${prefix}/vmlinuz");
  CHECK(entries[1].options == "single");
  CHECK(entries[1].initrds == std::vector<std::string>{"/ucode.img", "/initrd.img"});
  CHECK(entries[1].devicetree == "/board.dtb");
  CHECK(entries[2].title == "Double \"quoted\"");
  CHECK(entries[2].kernel == "/vmlinuz-old");
  CHECK(entries[2].options.empty());
  // No menuentry, as in the stub an ESP's EFI/debian/grub.cfg holds.
  CHECK(ParseGrubConfig("search.fs_uuid 1234 root\nconfigfile ($root)/boot/grub/grub.cfg\n",
                        "/EFI/debian/grub.cfg")
            .empty());
}

TEST_CASE("extlinux.conf: labels with kernel, initrd list, append and fdt", "[inspect]") {
  auto entries = ParseExtlinuxConfig(kExtlinux, "/extlinux/extlinux.conf");
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].loader == "extlinux");
  CHECK(entries[0].title == "cairn");
  CHECK(entries[0].kernel == "/vmlinuz");
  CHECK(entries[0].initrds == std::vector<std::string>{"/initrd-a.img", "/initrd-b.img"});
  CHECK(entries[0].options == "console=ttyAMA0 root=/dev/vda2 rootfstype=ext4");
  CHECK(entries[0].devicetree == "/bcm2837-rpi-3-b.dtb");
  CHECK(entries[1].title == "fallback");
  CHECK(entries[1].kernel == "/vmlinuz.old");
  CHECK(entries[1].devicetree == "fdtdir /dtbs");
  CHECK(entries[1].options.empty());
}

TEST_CASE("PE headers: section names and machine agree with objdump", "[inspect]") {
  testing::ScratchDir dir("inspect-pe");
  struct Case {
    uint16_t machine;
    std::string arch, objdump, objdump_format;
  };
  // The host objdump has no aarch64 PE target; binutils-aarch64-linux-gnu's has.
  for (const Case& c :
       {Case{0x8664, "x86_64", "objdump", "pei-x86-64"},
        Case{0xaa64, "aarch64", "aarch64-linux-gnu-objdump", "pei-aarch64-little"}}) {
    INFO(c.arch);
    std::string pe = MakePe(c.machine, {{".text", std::string(10, '\xc3')},
                                        {".osrel", "ID=cairn\n"},
                                        {".cmdline", "console=ttyS0"},
                                        {".linux", std::string(700, 'k')}});
    fs::path file = dir.path() / (c.arch + ".efi");
    { std::ofstream(file, std::ios::binary) << pe; }
    auto info = ParsePeHeaders(pe);
    REQUIRE(info.has_value());
    CHECK(info->arch == c.arch);
    CHECK(info->sections == std::vector<std::string>{".text", ".osrel", ".cmdline", ".linux"});
    if (c.machine == 0x8664 || RunCommand({"sh", "-c", "command -v " + c.objdump}).exit_code == 0) {
      std::string format;
      CHECK(ObjdumpSections(c.objdump, file, &format) == info->sections);
      CHECK(format == c.objdump_format);
    }
    // Cut inside the section table: not enough to tell.
    CHECK_FALSE(ParsePeHeaders(std::string_view(pe).substr(0, 0x40 + 24 + 240 + 40)).has_value());
  }
  CHECK_FALSE(
      ParsePeHeaders("#!/bin/sh\necho not a PE image\n" + std::string(100, ' ')).has_value());
  std::string bad_signature = MakePe(0x8664, {{".text", "x"}});
  bad_signature[0x40] = 'X';
  CHECK_FALSE(ParsePeHeaders(bad_signature).has_value());
}

TEST_CASE("os-release: quoting, escapes and comments", "[inspect]") {
  auto f = ParseOsRelease(kOsRelease);
  CHECK(f["PRETTY_NAME"] == "Cairn Test OS 1.0 (\"inspect\")");
  CHECK(f["NAME"] == "Cairn Test OS");
  CHECK(f["ID"] == "cairn-test");
  CHECK(f["VERSION_ID"] == "1.0");
  CHECK(f.size() == 4);
}

TEST_CASE("dpkg status: only installed packages, continuation lines ignored", "[inspect]") {
  auto parsed = ParseDpkgStatus(kDpkgStatus, "/var/lib/dpkg/status");
  CHECK(parsed.problems.empty());
  CHECK(Names(parsed.packages) ==
        std::vector<std::string>{"base-files 12.4+deb12u5 amd64", "busybox 1:1.35.0-4+b3 amd64"});

  SECTION("a damaged paragraph is skipped and named; the others remain") {
    std::string text = std::string(kDpkgStatus) +
                       "\nPackage: broken\nStatus: install ok installed\nthis "
                       "line has no colon\n"
                       "\nPackage: noversion\nStatus: install ok installed\n";
    auto damaged = ParseDpkgStatus(text, "status");
    CHECK(damaged.packages.size() == 2);
    CHECK(damaged.problems ==
          std::vector<std::string>{"status:23: expected 'Name: value' (got 'this line has no "
                                   "colon') in package 'broken'",
                                   "status:25: installed package without a Version field "
                                   "('noversion')"});
  }
  SECTION("half-installed, unpacked and purged packages are not installed") {
    // The last paragraph also shows that field names ignore case.
    auto other = ParseDpkgStatus(
        "Package: a\nStatus: install ok unpacked\nVersion: 1\n\n"
        "Package: b\nStatus: install reinstreq half-installed\nVersion: 1\n\n"
        "Package: c\nStatus: purge ok not-installed\n\n"
        "package: d\nstatus: install ok installed\nversion: 2\n",
        "status");
    CHECK(Names(other.packages) == std::vector<std::string>{"d 2 "});
  }
}

TEST_CASE("apk installed database: P, V and A of each record", "[inspect]") {
  auto parsed = ParseApkInstalled(kApkInstalled, "/lib/apk/db/installed");
  CHECK(parsed.problems.empty());
  CHECK(Names(parsed.packages) ==
        std::vector<std::string>{"busybox 1.36.1-r29 x86_64", "musl 1.2.5-r0 x86_64"});
  auto damaged =
      ParseApkInstalled("P:novers\nA:x86_64\n\nnot a field\nP:x\nV:1\n\nP:ok\nV:2\n", "installed");
  CHECK(Names(damaged.packages) == std::vector<std::string>{"ok 2 "});
  CHECK(damaged.problems ==
        std::vector<std::string>{"installed:1: record without a P: or V: line",
                                 "installed:4: expected 'X:value' (got 'not a field')"});
}

TEST_CASE("FormatReport and ReportJson show every field", "[inspect]") {
  DiskReport r{
      .path = "disk.img", .format = "raw", .size = 3 * kMiB, .table = "mbr", .disk_id = "1a2b3c4d"};
  PartitionReport p{.number = 1,
                    .start = kMiB,
                    .size = 2 * kMiB,
                    .type = "0c",
                    .part_uuid = "1a2b3c4d-01",
                    .bootable = true};
  p.filesystem = {.device = "/dev/sda1", .type = "vfat", .label = "BOOT", .uuid = "1A2B-3C4D"};
  p.filesystem.boot_entries = ParseExtlinuxConfig(kExtlinux, "/extlinux/extlinux.conf");
  p.filesystem.efi_binaries.push_back({.path = "/EFI/BOOT/BOOTAA64.EFI",
                                       .size = 2048,
                                       .sections = {".linux"},
                                       .arch = "aarch64",
                                       .uki = true});
  p.filesystem.raspberry_pi = RaspberryPiConfig{"# pi\narm_64bit=1\n", std::nullopt};
  p.filesystem.os = OsReport{.os_release_path = "/etc/os-release",
                             .pretty_name = "Cairn",
                             .apk = std::vector<InstalledPackage>{{"musl", "1.2.5-r0", "aarch64"}}};
  p.filesystem.notes = {"/x: unreadable"};
  r.partitions.push_back(p);

  std::string text = FormatReport(r);
  INFO(text);
  for (const char* want : {
           "disk disk.img (raw, 3 MiB, 3145728 bytes)\n",
           "mbr partition table, disk id 1a2b3c4d\n",
           "\npartition 1\n",
           "  start       1 MiB (byte 1048576)\n",
           "  type        0c (FAT32 LBA)\n",
           "  uuid        1a2b3c4d-01 (active)\n",
           "  filesystem  vfat, label \"BOOT\", uuid 1A2B-3C4D\n",
           "  boot entry  extlinux /extlinux/extlinux.conf: \"cairn\"\n",
           "                initrd  /initrd-b.img\n",
           "                fdt     fdtdir /dtbs\n",
           "  efi binary  /EFI/BOOT/BOOTAA64.EFI (2 KiB, aarch64, UKI)\n",
           "  config.txt  present\n",
           "                        arm_64bit=1\n",
           "  cmdline.txt absent\n",
           "  os          Cairn (/etc/os-release)\n",
           "  apk         1 installed package\n",
           "                        musl 1.2.5-r0 aarch64\n",
           "  note        /x: unreadable\n",
       })
    CHECK(text.find(want) != std::string::npos);
  CHECK(text.find("# pi") == std::string::npos);  // config.txt comments are left out

  nlohmann::json j = ReportJson(r);
  CHECK(j["table"] == "mbr");
  CHECK(j["size"] == 3 * kMiB);
  CHECK(j["filesystem"].is_null());
  const auto& jp = j["partitions"][0];
  CHECK(jp["bootable"] == true);
  CHECK(jp["uuid"] == "1a2b3c4d-01");
  CHECK(jp["filesystem"]["boot_entries"][0]["initrd"] ==
        nlohmann::json::array({"/initrd-a.img", "/initrd-b.img"}));
  CHECK(jp["filesystem"]["efi_binaries"][0]["uki"] == true);
  CHECK(jp["filesystem"]["raspberry_pi"]["cmdline_txt"].is_null());
  CHECK(jp["filesystem"]["raspberry_pi"]["config_txt"] == "# pi\narm_64bit=1\n");
  CHECK(jp["filesystem"]["os"]["dpkg"].is_null());
  CHECK(jp["filesystem"]["os"]["apk"][0]["name"] == "musl");
}

// ---------------------------------------------------------------------------
// Real disks through the appliance.

// InspectDisk, or nullopt after a WARN (a FAIL with CAIRN_REQUIRE_BOOT_INPUTS=1)
// when the appliance cannot start here. Any other error fails.
std::optional<DiskReport> InspectOrSkip(const fs::path& image) {
  auto started = std::chrono::steady_clock::now();
  auto report = InspectDisk(image);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (report.ok()) {
    WARN("InspectDisk took " << seconds << " s (one appliance launch)");
    return std::move(report).value();
  }
  const auto& ctx = report.error().context();
  bool launch = std::any_of(ctx.begin(), ctx.end(), [](const std::string& c) {
    return c.rfind("starting the libguestfs appliance", 0) == 0;
  });
  const std::string text = report.error().Render();
  if (launch) {
    if (const char* req = std::getenv("CAIRN_REQUIRE_BOOT_INPUTS"); req && std::string(req) == "1")
      FAIL(
          "the libguestfs appliance cannot start and "
          "CAIRN_REQUIRE_BOOT_INPUTS=1: "
          << text);
    WARN(
        "SKIPPED: the libguestfs appliance cannot start (needs a kernel in "
        "/boot, e.g. "
        "linux-image-cloud-amd64): "
        << text);
    return std::nullopt;
  }
  FAIL(text);
  return std::nullopt;
}

void Ok(const Status& s) {
  INFO((s.ok() ? std::string() : s.error().Render()));
  REQUIRE(s.ok());
}

const FilesystemReport& FsOf(const DiskReport& r, int number) {
  REQUIRE(number >= 1);
  REQUIRE(r.partitions.size() >= static_cast<size_t>(number));
  return r.partitions[number - 1].filesystem;
}

// Where the report puts a partition, as WriteDiskImage planned it.
void CheckPlacement(const PartitionPlan& want, const PartitionReport& got) {
  CHECK(got.number == want.number);
  CHECK(got.start == want.offset);
  CHECK(got.size == want.size);
  CHECK(got.type == want.type);
  CHECK(got.part_uuid == want.part_uuid);
}

TEST_CASE(
    "InspectDisk reads a GPT disk back: table, ids, boot entry, OS and "
    "packages",
    "[inspect][guestfs]") {
  testing::TreeFixture esp("inspect-gpt");
  rootfs::Tree root(*esp.store);
  const std::string bootx64 =
      MakePe(0x8664, {{".text", std::string(100, '\x90')}, {".sdmagic", "#### LoaderInfo"}});
  const std::string uki =
      MakePe(0x8664, {{".osrel", kOsRelease}, {".linux", std::string(5000, 'k')}});
  Ok(esp.tree.AddFile("loader/loader.conf", "timeout 0\n"));
  Ok(esp.tree.AddFile("loader/entries/x.conf", kLoaderEntry));
  Ok(esp.tree.AddFile("EFI/BOOT/BOOTX64.EFI", bootx64));
  Ok(esp.tree.AddFile("EFI/Linux/cairn.efi", uki));
  Ok(esp.tree.AddFile("vmlinuz", Payload(4000, 1)));
  // /etc/os-release is an absolute symlink: it must resolve inside the guest,
  // not to the appliance's own /usr/lib/os-release (a Debian one).
  Ok(root.AddFile("usr/lib/os-release", kOsRelease));
  Ok(root.AddSymlink("etc/os-release", "/usr/lib/os-release"));
  Ok(root.AddFile("var/lib/dpkg/status", kDpkgStatus));
  Ok(root.AddFile("lib/apk/db/installed", kApkInstalled));
  Ok(root.AddFile("boot/grub/grub.cfg", kGrubCfg));

  DiskLayout layout{.table = TableType::kGpt, .arch = "x86_64"};
  layout.partitions = {
      {.name = "esp",
       .role = PartitionRole::kEsp,
       .filesystem = Filesystem::kVfat,
       .size = PartitionSize::Fixed(40 * kMiB)},
      {.name = "root",
       .role = PartitionRole::kRoot,
       .filesystem = Filesystem::kExt4,
       .size = PartitionSize::Auto(),
       .label = "cairn-root"},
  };
  fs::path img = esp.dir.path() / "disk.img";
  auto planned = WriteDiskImage(layout, {{"esp", {.tree = &esp.tree}}, {"root", {.tree = &root}}},
                                img, {.epoch = kEpoch, .seed = "inspect-seed"});
  INFO((planned.ok() ? std::string() : planned.error().Render()));
  REQUIRE(planned.ok());
  const DiskPlan& plan = *planned;
  const std::string sha_before = Sha256Of(img);

  auto inspected = InspectOrSkip(img);
  if (!inspected) return;
  const DiskReport& r = *inspected;
  INFO(FormatReport(r));

  CHECK(r.path == img.string());
  CHECK(r.format == "raw");
  CHECK(r.table == "gpt");
  CHECK(r.size == plan.size);
  CHECK(r.disk_id == plan.disk_id);
  CHECK_FALSE(r.whole_disk.has_value());
  REQUIRE(r.partitions.size() == plan.partitions.size());
  auto table = SfdiskJson(img);
  REQUIRE(table["partitions"].size() == r.partitions.size());
  CHECK(Lower(table["id"]) == r.disk_id);
  for (size_t i = 0; i < plan.partitions.size(); ++i) {
    const PartitionPlan& want = plan.partitions[i];
    const PartitionReport& got = r.partitions[i];
    const auto& sf = table["partitions"][i];
    INFO("partition " << want.spec.name);
    CheckPlacement(want, got);
    CHECK(got.name == want.spec.name);
    CHECK_FALSE(got.bootable);
    CHECK(got.filesystem.label == want.label);
    CHECK(got.filesystem.uuid == want.fs_uuid);
    CHECK(got.filesystem.notes.empty());
    // sfdisk reads the same table independently.
    CHECK(sf["start"].get<uint64_t>() * 512 == got.start);
    CHECK(sf["size"].get<uint64_t>() * 512 == got.size);
    CHECK(sf["type"] == got.type);
    CHECK(Lower(sf["uuid"]) == got.part_uuid);
    CHECK(sf["name"] == got.name);
  }

  const FilesystemReport& espfs = FsOf(r, 1);
  CHECK(espfs.type == "vfat");
  CHECK(espfs.device == "/dev/sda1");
  REQUIRE(espfs.boot_entries.size() == 1);
  const BootEntry& e = espfs.boot_entries[0];
  CHECK(e.loader == "systemd-boot");
  CHECK(e.file == "/loader/entries/x.conf");
  CHECK(e.title == "Cairn Test OS");
  CHECK(e.kernel == "/vmlinuz");
  CHECK(e.initrds == std::vector<std::string>{"/intel-ucode.img", "/initrd.img"});
  CHECK(e.options == "root=PARTUUID=00000000-1111-4222-8333-444444444444 ro console=ttyS0");
  REQUIRE(espfs.efi_binaries.size() == 2);
  CHECK(espfs.efi_binaries[0].path == "/EFI/BOOT/BOOTX64.EFI");
  CHECK(espfs.efi_binaries[0].size == bootx64.size());
  CHECK(espfs.efi_binaries[0].arch == "x86_64");
  CHECK(espfs.efi_binaries[0].sections == std::vector<std::string>{".text", ".sdmagic"});
  CHECK_FALSE(espfs.efi_binaries[0].uki);
  CHECK(espfs.efi_binaries[1].path == "/EFI/Linux/cairn.efi");
  CHECK(espfs.efi_binaries[1].size == uki.size());
  CHECK(espfs.efi_binaries[1].uki);
  CHECK_FALSE(espfs.os.has_value());
  CHECK_FALSE(espfs.raspberry_pi.has_value());

  const FilesystemReport& rootfs = FsOf(r, 2);
  CHECK(rootfs.type == "ext4");
  CHECK(rootfs.efi_binaries.empty());
  REQUIRE(rootfs.boot_entries.size() == 3);
  CHECK(rootfs.boot_entries[0].file == "/boot/grub/grub.cfg");
  CHECK(rootfs.boot_entries[0].title == "Cairn GNU/Linux");
  CHECK(rootfs.boot_entries[0].kernel == "/boot/vmlinuz-6.1.0");
  REQUIRE(rootfs.os.has_value());
  CHECK(rootfs.os->os_release_path == "/etc/os-release");
  CHECK(rootfs.os->pretty_name == "Cairn Test OS 1.0 (\"inspect\")");
  CHECK(rootfs.os->id == "cairn-test");
  CHECK(rootfs.os->version_id == "1.0");
  REQUIRE(rootfs.os->dpkg.has_value());
  CHECK(Names(*rootfs.os->dpkg) ==
        std::vector<std::string>{"base-files 12.4+deb12u5 amd64", "busybox 1:1.35.0-4+b3 amd64"});
  REQUIRE(rootfs.os->apk.has_value());
  CHECK(Names(*rootfs.os->apk) ==
        std::vector<std::string>{"busybox 1.36.1-r29 x86_64", "musl 1.2.5-r0 x86_64"});

  // The image was added read-only: not a byte changed.
  CHECK(Sha256Of(img) == sha_before);
}

TEST_CASE(
    "InspectDisk reads an MBR disk: active FAT firmware partition and a "
    "squashfs root",
    "[inspect][guestfs]") {
  testing::TreeFixture fw("inspect-mbr");
  Ok(fw.tree.AddFile("config.txt", "# Raspberry Pi\narm_64bit=1\nkernel=vmlinuz\n"));
  Ok(fw.tree.AddFile("cmdline.txt", "console=serial0,115200 root=/dev/mmcblk0p2\n"));
  Ok(fw.tree.AddFile("extlinux/extlinux.conf", kExtlinux));
  // The squashfs root, made by mksquashfs from a host directory.
  fs::path stage = fw.dir.path() / "stage";
  fs::create_directories(stage / "etc");
  fs::create_directories(stage / "lib/apk/db");
  std::ofstream(stage / "etc/os-release") << "PRETTY_NAME=\"Squashed OS\"\nID=squashed\n";
  std::ofstream(stage / "lib/apk/db/installed") << kApkInstalled;
  fs::path squash = fw.dir.path() / "root.squashfs";
  auto mk = RunCommand(
      {"mksquashfs", stage.string(), squash.string(), "-noappend", "-all-root", "-quiet"});
  INFO(mk.out << mk.err);
  REQUIRE(mk.exit_code == 0);

  DiskLayout layout{.table = TableType::kMbr, .arch = "aarch64"};
  layout.partitions = {
      {.name = "firmware",
       .role = PartitionRole::kFirmware,
       .filesystem = Filesystem::kVfat,
       .size = PartitionSize::Fixed(40 * kMiB),
       .label = "FIRMWARE",
       .bootable = true},
      {.name = "root",
       .role = PartitionRole::kRoot,
       .filesystem = Filesystem::kRaw,
       .size = PartitionSize::Auto()},
  };
  fs::path img = fw.dir.path() / "sd.img";
  auto planned =
      WriteDiskImage(layout, {{"firmware", {.tree = &fw.tree}}, {"root", {.image = squash}}}, img,
                     {.epoch = kEpoch, .seed = "inspect-mbr"});
  INFO((planned.ok() ? std::string() : planned.error().Render()));
  REQUIRE(planned.ok());
  const DiskPlan& plan = *planned;

  auto inspected = InspectOrSkip(img);
  if (!inspected) return;
  const DiskReport& r = *inspected;
  INFO(FormatReport(r));
  CHECK(r.table == "mbr");
  CHECK(r.disk_id == plan.disk_id);
  CHECK(r.size == plan.size);
  REQUIRE(r.partitions.size() == 2);
  auto table = SfdiskJson(img);
  CHECK(table["id"] == "0x" + r.disk_id);
  for (size_t i = 0; i < 2; ++i) {
    const PartitionPlan& want = plan.partitions[i];
    const PartitionReport& got = r.partitions[i];
    const auto& sf = table["partitions"][i];
    INFO("partition " << want.spec.name);
    CheckPlacement(want, got);
    CHECK(got.name.empty());
    CHECK(sf["start"].get<uint64_t>() * 512 == got.start);
    CHECK(sf["type"] == (got.type[0] == '0' ? got.type.substr(1) : got.type));
    CHECK(got.bootable == sf.contains("bootable"));
  }
  CHECK(r.partitions[0].bootable);

  const FilesystemReport& fwfs = FsOf(r, 1);
  CHECK(fwfs.type == "vfat");
  CHECK(fwfs.label == "FIRMWARE");
  CHECK(fwfs.uuid == plan.partitions[0].fs_uuid);
  REQUIRE(fwfs.raspberry_pi.has_value());
  CHECK(fwfs.raspberry_pi->config_txt == "# Raspberry Pi\narm_64bit=1\nkernel=vmlinuz\n");
  CHECK(fwfs.raspberry_pi->cmdline_txt == "console=serial0,115200 root=/dev/mmcblk0p2\n");
  REQUIRE(fwfs.boot_entries.size() == 2);
  CHECK(fwfs.boot_entries[0].loader == "extlinux");
  CHECK(fwfs.boot_entries[0].devicetree == "/bcm2837-rpi-3-b.dtb");

  const FilesystemReport& sq = FsOf(r, 2);
  CHECK(sq.type == "squashfs");
  CHECK(sq.notes.empty());
  REQUIRE(sq.os.has_value());
  CHECK(sq.os->pretty_name == "Squashed OS");
  CHECK_FALSE(sq.os->dpkg.has_value());
  REQUIRE(sq.os->apk.has_value());
  CHECK(Names(*sq.os->apk) ==
        std::vector<std::string>{"busybox 1.36.1-r29 x86_64", "musl 1.2.5-r0 x86_64"});
}

}  // namespace
}  // namespace cairn::disk
