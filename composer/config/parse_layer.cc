#include "config/parse_layer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include "cairn/config/arch.h"
#include "cairn/config/did_you_mean.h"
#include "config/parse_file.h"

namespace cairn::config::internal {
namespace fs = std::filesystem;
namespace {

// Every spelling of an architecture a declaration may use (apk names first).
std::vector<std::string> ArchSpellings() {
  std::vector<std::string> all = KnownApkArchs();
  for (const std::string& a : KnownApkoArchs()) {
    if (std::find(all.begin(), all.end(), a) == all.end()) all.push_back(a);
  }
  return all;
}

Error UnknownArch(const LString& name) {
  Error e = ConfigError(name.loc, fmt::format("unknown architecture '{}'", name.value));
  if (auto s = SuggestClosest(name.value, ArchSpellings())) {
    return std::move(e).Hint(fmt::format("did you mean '{}'?", *s));
  }
  return std::move(e).Hint(fmt::format("expected one of {}", QuoteList(KnownApkArchs())));
}

// One source's packages: a plain list (every arch) or {all: [...], <arch>:
// [...]}.
Result<PackageList> ParsePackageList(const YamlFile& f, const YAML::Node& key,
                                     const YAML::Node& node, const std::string& what) {
  PackageList out;
  out.loc = f.Loc(key);
  if (node.IsNull()) return out;
  if (node.IsSequence()) {
    CAIRN_ASSIGN_OR_RETURN(out.all, ReadStringList(f, node, what));
    return out;
  }
  if (!node.IsMap()) {
    return WrongType(f, node, what, "a list of packages or a mapping of 'all' and architectures");
  }
  std::vector<std::string> keys = {"all"};
  for (const std::string& a : ArchSpellings()) keys.push_back(a);
  std::map<std::string, SourceLoc> arch_keys;  // apk arch -> the key that declared it
  CAIRN_TRY(ForEachKey(
      f, node, what, keys,
      [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) -> Status {
        std::string w = JoinKey(what, k);
        CAIRN_ASSIGN_OR_RETURN(std::vector<LString> list, ReadStringList(f, v, w));
        if (k == "all") {
          out.all = std::move(list);
          return {};
        }
        std::string apk = *NormalizeArch(k);
        auto [it, fresh] = arch_keys.emplace(apk, f.Loc(kn));
        if (!fresh) {
          return ConfigError(f.Loc(kn), fmt::format("'{}' names architecture '{}' again", w, apk))
              .Hint(fmt::format("first declared at {}", it->second.ToString()));
        }
        out.by_arch[apk] = std::move(list);
        return {};
      }));
  return out;
}

// `packages:` of a layer, board or bootloader: a mapping of package source to
// PackageList.
Status ParsePackages(const YamlFile& f, const YAML::Node& node, const std::string& what,
                     std::map<std::string, PackageList>& out) {
  return ForEachKey(f, node, what, {"debian", "apk"},
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) -> Status {
                      CAIRN_ASSIGN_OR_RETURN(out[k], ParsePackageList(f, kn, v, JoinKey(what, k)));
                      return {};
                    });
}

Result<std::vector<InlineFile>> ParseFiles(const YamlFile& f, const YAML::Node& v) {
  return ParseList<InlineFile>(
      f, v, "files", "a list of files",
      [&](const YAML::Node& n, const std::string& w) { return ParseFile(f, n, w); });
}

Result<Partition> ParsePartition(const YamlFile& f, const YAML::Node& node,
                                 const std::string& what) {
  Partition p;
  p.loc = f.Loc(node);
  CAIRN_TRY(ForEachKey(f, node, what, {"role", "size", "filesystem", "label", "slot"},
                       [&](const std::string& k, const YAML::Node&, const YAML::Node& v) -> Status {
                         std::string w = JoinKey(what, k);
                         if (k == "role") {
                           CAIRN_ASSIGN_OR_RETURN(p.role, ReadLString(f, v, w));
                         } else if (k == "size") {
                           CAIRN_ASSIGN_OR_RETURN(p.size, ReadLString(f, v, w));
                           if (p.size.value == "rest") return {};
                           auto bytes = ParseSizeBytes(p.size.value);
                           if (!bytes) {
                             return ConfigError(
                                        p.size.loc,
                                        fmt::format("invalid size '{}' for '{}'", p.size.value, w))
                                 .Hint(
                                     "expected an integer with a K, M, G or T suffix (1M = "
                                     "1048576 bytes), "
                                     "e.g. '256M', or 'rest' for the last partition");
                           }
                           p.size_bytes = *bytes;
                         } else if (k == "filesystem") {
                           CAIRN_ASSIGN_OR_RETURN(p.filesystem, ReadLString(f, v, w));
                         } else if (k == "label") {
                           CAIRN_ASSIGN_OR_RETURN(p.label, ReadLString(f, v, w));
                         } else {
                           CAIRN_ASSIGN_OR_RETURN(p.slot, ReadLString(f, v, w));
                         }
                         return {};
                       }));
  return p;
}

Status ParseLayout(const YamlFile& f, const YAML::Node& node, Layout& out) {
  return ForEachKey(f, node, "layout", {"table", "partitions"},
                    [&](const std::string& k, const YAML::Node&, const YAML::Node& v) -> Status {
                      std::string w = JoinKey("layout", k);
                      if (k == "table") {
                        CAIRN_ASSIGN_OR_RETURN(out.table, ReadLString(f, v, w));
                      } else {
                        CAIRN_ASSIGN_OR_RETURN(
                            out.partitions,
                            ParseList<Partition>(f, v, w, "a list of partitions",
                                                 [&](const YAML::Node& n, const std::string& iw) {
                                                   return ParsePartition(f, n, iw);
                                                 }));
                      }
                      return {};
                    });
}

}  // namespace

std::optional<uint64_t> ParseSizeBytes(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t unit = 1;
  char last = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (last == 'K' || last == 'M' || last == 'G' || last == 'T') {
    unit = last == 'K'   ? 1ull << 10
           : last == 'M' ? 1ull << 20
           : last == 'G' ? 1ull << 30
                         : 1ull << 40;
    text.remove_suffix(1);
  }
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (std::numeric_limits<uint64_t>::max() - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v == 0 || v > std::numeric_limits<uint64_t>::max() / unit) return std::nullopt;
  return v * unit;
}

const std::vector<std::string>& LayerKeys() {
  static const std::vector<std::string> keys = {
      "name",     "description", "requires", "provides", "conflicts", "archs",
      "packages", "accounts",    "files",    "paths",    "services",  "kernel-cmdline"};
  return keys;
}

const std::vector<std::string>& BoardKeys() {
  static const std::vector<std::string> keys = {
      "name",       "description", "arch",         "variant", "layers", "packages",
      "bootloader", "kernel",      "device-trees", "files",   "layout", "qemu"};
  return keys;
}

Result<Layer> ParseLayer(const YamlFile& f, const fs::path& /*dir*/, const std::string& stem) {
  Layer layer;
  layer.source_file = f.path();
  layer.loc = f.FileLoc();
  CAIRN_TRY(ForEachKey(
      f, f.root(), "", LayerKeys(),
      [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) -> Status {
        if (key == "name") {
          CAIRN_ASSIGN_OR_RETURN(layer.name, ReadLString(f, v, key));
        } else if (key == "description") {
          CAIRN_ASSIGN_OR_RETURN(layer.description, ReadLString(f, v, key));
        } else if (key == "requires") {
          CAIRN_ASSIGN_OR_RETURN(layer.required, ReadNameList(f, v, key, "requirement"));
        } else if (key == "provides") {
          CAIRN_ASSIGN_OR_RETURN(layer.provides, ReadNameList(f, v, key, "capability"));
        } else if (key == "conflicts") {
          CAIRN_ASSIGN_OR_RETURN(layer.conflicts, ReadNameList(f, v, key, "conflict"));
        } else if (key == "archs") {
          CAIRN_ASSIGN_OR_RETURN(layer.archs, ParseArchs(f, v, key));
        } else if (key == "packages") {
          CAIRN_TRY(ParsePackages(f, v, key, layer.packages));
        } else if (key == "accounts") {
          layer.accounts.loc = f.Loc(k);
          CAIRN_TRY(ParseAccounts(f, v, layer.accounts, /*allow_run_as=*/false));
        } else if (key == "files") {
          CAIRN_ASSIGN_OR_RETURN(layer.files, ParseFiles(f, v));
        } else if (key == "paths") {
          CAIRN_ASSIGN_OR_RETURN(
              layer.paths, ParseList<PathMutation>(f, v, key, "a list of path mutations",
                                                   [&](const YAML::Node& n, const std::string& w) {
                                                     return ParsePath(f, n, w);
                                                   }));
        } else if (key == "services") {
          CAIRN_ASSIGN_OR_RETURN(layer.services, ReadStringList(f, v, key));
        } else {
          CAIRN_ASSIGN_OR_RETURN(layer.kernel_cmdline, ReadStringList(f, v, key));
        }
        return {};
      }));
  if (layer.name.value.empty()) layer.name = LString{stem, f.FileLoc()};
  return layer;
}

Result<Board> ParseBoard(const YamlFile& f, const fs::path& dir, const std::string& stem) {
  Board board;
  board.source_file = f.path();
  board.loc = f.FileLoc();
  bool have_arch = false;
  CAIRN_TRY(ForEachKey(
      f, f.root(), "", BoardKeys(),
      [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) -> Status {
        if (key == "name") {
          CAIRN_ASSIGN_OR_RETURN(board.name, ReadLString(f, v, key));
        } else if (key == "description") {
          CAIRN_ASSIGN_OR_RETURN(board.description, ReadLString(f, v, key));
        } else if (key == "arch") {
          CAIRN_ASSIGN_OR_RETURN(board.arch, ReadLString(f, v, key));
          have_arch = true;
          if (board.arch.value == "all") {
            return ConfigError(board.arch.loc, "a board has exactly one architecture, not 'all'")
                .Hint(fmt::format("expected one of {}", QuoteList(KnownApkArchs())));
          }
          auto apk = NormalizeArch(board.arch.value);
          if (!apk || board.arch.value == "host") return UnknownArch(board.arch);
          board.arch.value = *apk;
        } else if (key == "variant") {
          CAIRN_ASSIGN_OR_RETURN(board.variant, ReadLString(f, v, key));
        } else if (key == "layers") {
          CAIRN_ASSIGN_OR_RETURN(board.layers, ReadNameList(f, v, key, "layer"));
        } else if (key == "packages") {
          CAIRN_TRY(ParsePackages(f, v, key, board.packages));
        } else if (key == "bootloader") {
          board.bootloader.loc = f.Loc(k);
          return ForEachKey(
              f, v, key, {"type", "u-boot", "packages"},
              [&](const std::string& bk, const YAML::Node&, const YAML::Node& bv) -> Status {
                std::string w = JoinKey(key, bk);
                if (bk == "type") {
                  CAIRN_ASSIGN_OR_RETURN(board.bootloader.type, ReadLString(f, bv, w));
                  return {};
                }
                if (bk == "u-boot") {
                  CAIRN_ASSIGN_OR_RETURN(board.bootloader.uboot, ReadLString(f, bv, w));
                  return {};
                }
                return ParsePackages(f, bv, w, board.bootloader.packages);
              });
        } else if (key == "kernel") {
          board.kernel.loc = f.Loc(k);
          return ForEachKey(
              f, v, key, {"flavour", "cmdline", "console"},
              [&](const std::string& kk, const YAML::Node&, const YAML::Node& kv) -> Status {
                std::string w = JoinKey(key, kk);
                if (kk == "flavour") {
                  CAIRN_ASSIGN_OR_RETURN(board.kernel.flavour, ReadLString(f, kv, w));
                } else if (kk == "cmdline") {
                  CAIRN_ASSIGN_OR_RETURN(board.kernel.cmdline, ReadStringList(f, kv, w));
                } else {
                  CAIRN_ASSIGN_OR_RETURN(board.kernel.console, ReadLString(f, kv, w));
                }
                return {};
              });
        } else if (key == "device-trees") {
          CAIRN_ASSIGN_OR_RETURN(board.device_trees, ReadStringList(f, v, key));
        } else if (key == "files") {
          CAIRN_ASSIGN_OR_RETURN(board.files, ParseFiles(f, v));
        } else if (key == "layout") {
          board.layout.loc = f.Loc(k);
          return ParseLayout(f, v, board.layout);
        } else {
          board.qemu.loc = f.Loc(k);
          return ForEachKey(
              f, v, key, {"machine", "cpu", "firmware", "memory", "extra-args"},
              [&](const std::string& qk, const YAML::Node&, const YAML::Node& qv) -> Status {
                std::string w = JoinKey(key, qk);
                QemuSettings& q = board.qemu;
                if (qk == "machine") {
                  CAIRN_ASSIGN_OR_RETURN(q.machine, ReadLString(f, qv, w));
                } else if (qk == "cpu") {
                  CAIRN_ASSIGN_OR_RETURN(q.cpu, ReadLString(f, qv, w));
                } else if (qk == "firmware") {
                  CAIRN_ASSIGN_OR_RETURN(q.firmware, ReadLString(f, qv, w));
                  // A relative firmware path is relative to the board file.
                  if (q.firmware.value.find('/') != std::string::npos) {
                    q.firmware.value = ResolveLocal(dir, q.firmware.value, false);
                  }
                } else if (qk == "memory") {
                  CAIRN_ASSIGN_OR_RETURN(q.memory, ReadLString(f, qv, w));
                  if (!ParseSizeBytes(q.memory.value)) {
                    return ConfigError(q.memory.loc,
                                       fmt::format("invalid size '{}' for '{}'", q.memory.value, w))
                        .Hint(
                            "expected an integer with a K, M, G or T suffix, "
                            "e.g. '2G'");
                  }
                } else {
                  CAIRN_ASSIGN_OR_RETURN(q.extra_args, ReadStringList(f, qv, w));
                }
                return {};
              });
        }
        return {};
      }));
  if (board.name.value.empty()) board.name = LString{stem, f.FileLoc()};
  if (!have_arch) {
    return ConfigError(f.FileLoc(), fmt::format("board '{}' has no 'arch'", board.name.value))
        .Hint("add e.g. 'arch: aarch64' (apk or OCI architecture name)");
  }
  return board;
}

}  // namespace cairn::config::internal
