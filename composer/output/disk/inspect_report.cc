// FormatReport and ReportJson: a DiskReport as text for people and as JSON.
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cairn/byte_size.h"
#include "cairn/disk/inspect.h"
#include "cairn/disk/layout.h"
#include "output/disk/text_lines.h"

namespace cairn::disk {
namespace {

// What a partition type is for, when it is one cairn knows.
std::string TypeName(const std::string& table, const std::string& type) {
  if (table == "gpt") {
    static const std::pair<std::string_view, std::string_view> kGpt[] = {
        {"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI system"},
        {"BC13C2FF-59E6-4262-A352-B275FD6F7172", "extended boot loader"},
        {"0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux data"},
        {"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "basic data"},
        {"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"},
        {"21686148-6449-6E6F-744E-656564454649", "BIOS boot"},
    };
    for (const auto& [guid, name] : kGpt)
      if (type == guid) return std::string(name);
    for (const char* arch :
         {"x86_64", "aarch64", "x86", "armv7", "riscv64", "ppc64le", "s390x", "loongarch64"})
      if (auto root = GptRootType(arch); root && *root == type)
        return fmt::format("Linux root, {}", arch);
    return "";
  }
  static const std::pair<std::string_view, std::string_view> kMbr[] = {
      {"06", "FAT16"},      {"0b", "FAT32"},          {"0c", "FAT32 LBA"},  {"0e", "FAT16 LBA"},
      {"05", "extended"},   {"0f", "extended LBA"},   {"82", "Linux swap"}, {"83", "Linux"},
      {"ef", "EFI system"}, {"ee", "GPT protective"},
  };
  for (const auto& [id, name] : kMbr)
    if (type == id) return std::string(name);
  return "";
}

void Line(std::string& out, std::string_view key, std::string_view value) {
  out += fmt::format("  {:<12}{}\n", key, value);
}
void Detail(std::string& out, std::string_view key, std::string_view value) {
  out += fmt::format("  {:<12}  {:<8}{}\n", "", key, value);
}

void FormatFilesystem(std::string& out, const FilesystemReport& fs) {
  if (fs.type.empty()) {
    Line(out, "filesystem", "none found");
  } else {
    std::string text = fs.type;
    if (!fs.label.empty()) text += fmt::format(", label \"{}\"", fs.label);
    if (!fs.uuid.empty()) text += ", uuid " + fs.uuid;
    Line(out, "filesystem", text);
  }
  for (const auto& e : fs.boot_entries) {
    Line(out, "boot entry", fmt::format("{} {}: \"{}\"", e.loader, e.file, e.title));
    if (!e.kernel.empty()) Detail(out, "linux", e.kernel);
    for (const auto& i : e.initrds) Detail(out, "initrd", i);
    if (!e.options.empty()) Detail(out, "options", e.options);
    if (!e.devicetree.empty()) Detail(out, "fdt", e.devicetree);
  }
  for (const auto& b : fs.efi_binaries) {
    std::string what = FormatSize(b.size);
    if (!b.arch.empty()) what += ", " + b.arch;
    if (b.uki) what += ", UKI";
    if (b.sections.empty()) what += ", not a PE image";
    Line(out, "efi binary", fmt::format("{} ({})", b.path, what));
  }
  if (fs.raspberry_pi) {
    const auto& pi = *fs.raspberry_pi;
    Line(out, "config.txt", pi.config_txt ? "present" : "absent");
    if (pi.config_txt)
      for (std::string_view l : internal::SplitLines(*pi.config_txt)) {
        l = internal::Trim(l);
        if (!l.empty() && l[0] != '#') Detail(out, "", l);
      }
    Line(out, "cmdline.txt",
         pi.cmdline_txt ? std::string(internal::Trim(*pi.cmdline_txt)) : "absent");
  }
  if (fs.os) {
    const auto& os = *fs.os;
    if (!os.os_release_path.empty())
      Line(out, "os",
           fmt::format("{} ({})", os.pretty_name.empty() ? os.id : os.pretty_name,
                       os.os_release_path));
    auto packages = [&](std::string_view db, const std::vector<InstalledPackage>& pkgs) {
      Line(out, db,
           fmt::format("{} installed package{}", pkgs.size(), pkgs.size() == 1 ? "" : "s"));
      for (const auto& p : pkgs)
        Detail(out, "",
               fmt::format("{} {}{}", p.name, p.version, p.arch.empty() ? "" : " " + p.arch));
    };
    if (os.dpkg) packages("dpkg", *os.dpkg);
    if (os.apk) packages("apk", *os.apk);
  }
  for (const auto& n : fs.notes) Line(out, "note", n);
}

nlohmann::json FilesystemJson(const FilesystemReport& fs) {
  nlohmann::json j = {{"device", fs.device},
                      {"type", fs.type},
                      {"label", fs.label},
                      {"uuid", fs.uuid},
                      {"notes", fs.notes}};
  j["boot_entries"] = nlohmann::json::array();
  for (const auto& e : fs.boot_entries)
    j["boot_entries"].push_back({{"loader", e.loader},
                                 {"file", e.file},
                                 {"title", e.title},
                                 {"linux", e.kernel},
                                 {"initrd", e.initrds},
                                 {"options", e.options},
                                 {"devicetree", e.devicetree}});
  j["efi_binaries"] = nlohmann::json::array();
  for (const auto& b : fs.efi_binaries)
    j["efi_binaries"].push_back({{"path", b.path},
                                 {"size", b.size},
                                 {"arch", b.arch},
                                 {"sections", b.sections},
                                 {"uki", b.uki}});
  if (fs.raspberry_pi) {
    auto opt = [](const std::optional<std::string>& s) {
      return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
    };
    j["raspberry_pi"] = {{"config_txt", opt(fs.raspberry_pi->config_txt)},
                         {"cmdline_txt", opt(fs.raspberry_pi->cmdline_txt)}};
  }
  if (fs.os) {
    auto pkgs = [](const std::optional<std::vector<InstalledPackage>>& list) {
      if (!list) return nlohmann::json(nullptr);
      nlohmann::json a = nlohmann::json::array();
      for (const auto& p : *list)
        a.push_back({{"name", p.name}, {"version", p.version}, {"arch", p.arch}});
      return a;
    };
    j["os"] = {{"os_release", fs.os->os_release_path},
               {"pretty_name", fs.os->pretty_name},
               {"id", fs.os->id},
               {"version_id", fs.os->version_id},
               {"dpkg", pkgs(fs.os->dpkg)},
               {"apk", pkgs(fs.os->apk)}};
  }
  return j;
}

}  // namespace

std::string FormatReport(const DiskReport& report) {
  std::string out = fmt::format("disk {} ({}, {}, {} bytes)\n", report.path, report.format,
                                FormatSize(report.size), report.size);
  if (report.table == "none") {
    out += "no partition table\n";
    if (report.whole_disk) FormatFilesystem(out, *report.whole_disk);
    return out;
  }
  out += fmt::format("{} partition table, disk id {}\n", report.table, report.disk_id);
  for (const auto& p : report.partitions) {
    out += fmt::format("\npartition {}{}\n", p.number,
                       p.name.empty() ? "" : fmt::format(" \"{}\"", p.name));
    Line(out, "start", fmt::format("{} (byte {})", FormatSize(p.start), p.start));
    Line(out, "size", fmt::format("{} ({} bytes)", FormatSize(p.size), p.size));
    std::string type_name = TypeName(report.table, p.type);
    Line(out, "type", type_name.empty() ? p.type : fmt::format("{} ({})", p.type, type_name));
    Line(out, "uuid", p.part_uuid + (p.bootable ? " (active)" : ""));
    FormatFilesystem(out, p.filesystem);
  }
  return out;
}

nlohmann::json ReportJson(const DiskReport& report) {
  nlohmann::json j = {{"path", report.path},
                      {"format", report.format},
                      {"size", report.size},
                      {"table", report.table},
                      {"disk_id", report.disk_id}};
  j["partitions"] = nlohmann::json::array();
  for (const auto& p : report.partitions) {
    j["partitions"].push_back({{"number", p.number},
                               {"start", p.start},
                               {"size", p.size},
                               {"type", p.type},
                               {"name", p.name},
                               {"uuid", p.part_uuid},
                               {"bootable", p.bootable},
                               {"filesystem", FilesystemJson(p.filesystem)}});
  }
  j["filesystem"] =
      report.whole_disk ? FilesystemJson(*report.whole_disk) : nlohmann::json(nullptr);
  return j;
}

}  // namespace cairn::disk
