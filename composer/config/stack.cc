#include "cairn/config/stack.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

#include "cairn/config/arch.h"
#include "cairn/config/did_you_mean.h"

namespace cairn::config {
namespace {

constexpr std::array<std::pair<const char*, const char*>, 9> kDebianArchs = {{
    {"x86_64", "amd64"},
    {"aarch64", "arm64"},
    {"armv7", "armhf"},
    {"armhf", "armel"},
    {"x86", "i386"},
    {"ppc64le", "ppc64el"},
    {"s390x", "s390x"},
    {"riscv64", "riscv64"},
    {"loongarch64", "loong64"},
}};

// One entry of a target's stack before package expansion.
struct Entry {
  std::string name;
  std::string kind;
  SourceLoc loc;
  const Layer* layer = nullptr;  // for kind "layer" (and a base's "image" entry)
  std::vector<LString> raw_packages;
  StackLayer out;
};

bool Provides(const Entry& e, const std::string& what) {
  if (e.name == what) return true;
  if (!e.layer) return false;
  return std::any_of(e.layer->provides.begin(), e.layer->provides.end(),
                     [&](const LString& p) { return p.value == what; });
}

std::string Where(const SourceLoc& loc) { return loc.ToString(); }

std::vector<LString> PackagesFor(const std::map<std::string, PackageList>& packages,
                                 std::string_view source, const std::string& arch) {
  std::vector<LString> out;
  auto it = packages.find(std::string(source));
  if (it == packages.end()) return out;
  out = it->second.all;
  auto a = it->second.by_arch.find(arch);
  if (a != it->second.by_arch.end()) out.insert(out.end(), a->second.begin(), a->second.end());
  return out;
}

Entry FromLayer(const Layer& l, const SourceLoc& loc, std::string_view source,
                const std::string& arch) {
  Entry e;
  e.name = l.name.value;
  e.kind = l.kind == "image" ? "image" : "layer";
  e.loc = loc;
  e.layer = &l;
  e.raw_packages = PackagesFor(l.packages, source, arch);
  e.out.accounts = l.accounts;
  e.out.files = l.files;
  e.out.paths = l.paths;
  e.out.services = l.services;
  e.out.kernel_cmdline = l.kernel_cmdline;
  return e;
}

std::string SourceNames(const std::map<std::string, PackageList>& packages) {
  std::vector<std::string> names;
  for (const auto& [k, v] : packages) names.push_back(k);
  return QuoteList(names, " and ");
}

// The layer checks of one entry against the stack below (and around) it.
Status CheckLayer(const std::vector<Entry>& stack, size_t i, std::string_view source,
                  const std::string& arch, const std::string& target) {
  const Entry& e = stack[i];
  const Layer& l = *e.layer;
  if (!l.archs.empty() && std::none_of(l.archs.begin(), l.archs.end(),
                                       [&](const LString& a) { return a.value == arch; })) {
    std::vector<std::string> names;
    for (const LString& a : l.archs) names.push_back(a.value);
    return ConfigError(e.loc, fmt::format("layer '{}' does not support {} (building {})", e.name,
                                          arch, target))
        .Hint(fmt::format("its 'archs' at {} are {}", Where(l.archs.front().loc),
                          QuoteList(names, " and ")));
  }
  if (e.kind == "layer" && !l.packages.empty() && !l.packages.count(std::string(source))) {
    const PackageList& first = l.packages.begin()->second;
    return ConfigError(e.loc,
                       fmt::format("layer '{}' has no packages for source '{}'", e.name, source))
        .Hint(fmt::format("it declares packages for {} only (at {}); add 'packages.{}' to it",
                          SourceNames(l.packages), Where(first.loc), source));
  }
  for (const LString& r : l.required) {
    bool below = false;
    for (size_t j = 0; j < i && !below; ++j) below = Provides(stack[j], r.value);
    if (below) continue;
    std::string hint = fmt::format("'{}' is listed at {}", e.name, Where(e.loc));
    for (size_t j = i + 1; j < stack.size(); ++j) {
      if (!Provides(stack[j], r.value)) continue;
      hint += fmt::format("; '{}' is above it, listed at {}: move it below '{}'", stack[j].name,
                          Where(stack[j].loc), e.name);
      break;
    }
    return ConfigError(r.loc, fmt::format("layer '{}' requires '{}', which no layer below it "
                                          "provides",
                                          e.name, r.value))
        .Hint(hint);
  }
  for (const LString& c : l.conflicts) {
    for (size_t j = 0; j < stack.size(); ++j) {
      if (j == i || !Provides(stack[j], c.value)) continue;
      std::string what = stack[j].name == c.value
                             ? fmt::format("'{}'", c.value)
                             : fmt::format("'{}', which '{}' provides", c.value, stack[j].name);
      return ConfigError(c.loc, fmt::format("layer '{}' conflicts with {}", e.name, what))
          .Hint(fmt::format("'{}' is listed at {} and '{}' at {}", e.name, Where(e.loc),
                            stack[j].name, Where(stack[j].loc)));
    }
  }
  return {};
}

Result<std::vector<StackLayer>> BuildStack(const Image& image, std::string_view source,
                                           const std::string& arch, const Board* board,
                                           const std::string& target) {
  CAIRN_ASSIGN_OR_RETURN(std::string debian_arch, DebianArchOf(arch));
  std::string flavour = debian_arch;
  if (board && !board->kernel.flavour.value.empty()) {
    CAIRN_ASSIGN_OR_RETURN(
        LString f, ExpandPackageName(board->kernel.flavour, arch, debian_arch, debian_arch));
    flavour = f.value;
  }

  std::vector<Entry> stack;
  // 1 and 2: the base's stack (with its own contents), then the image's layers.
  for (size_t i = 0; i < image.stack.size(); ++i) {
    const Layer& l = image.stack[i];
    for (const Entry& below : stack) {
      if (below.name != l.name.value) continue;
      Error err = ConfigError(l.loc, fmt::format("layer '{}' is listed twice", l.name.value));
      if (i >= image.base_layer_count && image.base_layer_count > 0) {
        return std::move(err).Hint(
            fmt::format("it is already in the stack of base image '{}', "
                        "listed at {}",
                        image.base.value, Where(below.loc)));
      }
      return std::move(err).Hint(fmt::format("first listed at {}", Where(below.loc)));
    }
    stack.push_back(FromLayer(l, l.loc, source, arch));
  }
  if (board) {
    // 3: the board's layers not already present.
    for (const Layer& l : board->layer_defs) {
      bool present = std::any_of(stack.begin(), stack.end(),
                                 [&](const Entry& e) { return e.name == l.name.value; });
      if (!present) stack.push_back(FromLayer(l, l.loc, source, arch));
    }
    // 4: the board's own layer.
    Entry own;
    own.name = "board-" + board->name.value;
    own.kind = "board";
    own.loc = board->loc;
    own.raw_packages = PackagesFor(board->packages, source, arch);
    std::vector<LString> boot = PackagesFor(board->bootloader.packages, source, arch);
    own.raw_packages.insert(own.raw_packages.end(), boot.begin(), boot.end());
    own.out.files = board->files;
    if (!own.raw_packages.empty() || !own.out.files.empty()) stack.push_back(std::move(own));
  }
  // 5: the image's own contents.
  bool has_own = !image.contents.packages.empty() || !image.accounts.groups.empty() ||
                 !image.accounts.users.empty() || !image.files.empty() || !image.paths.empty();
  if (has_own || stack.empty()) {
    Entry own;
    own.name = image.name.value;
    own.kind = "image";
    own.loc.file = image.source_file;
    own.raw_packages = image.contents.packages;
    own.out.accounts = image.accounts;
    own.out.files = image.files;
    own.out.paths = image.paths;
    stack.push_back(std::move(own));
  }

  for (size_t i = 0; i < stack.size(); ++i) {
    if (stack[i].layer) CAIRN_TRY(CheckLayer(stack, i, source, arch, target));
  }

  // The same in-image file from two layers: the upper would silently win.
  std::map<std::string, std::pair<const Entry*, SourceLoc>> file_owner;
  for (const Entry& e : stack) {
    for (const InlineFile& f : e.out.files) {
      auto [it, fresh] = file_owner.emplace(f.path.value, std::pair{&e, f.path.loc});
      if (fresh || it->second.first == &e) continue;
      return ConfigError(f.path.loc, fmt::format("file '{}' is declared by both '{}' and '{}'",
                                                 f.path.value, it->second.first->name, e.name))
          .Hint(fmt::format("'{}' declares it at {}; keep one of them", it->second.first->name,
                            Where(it->second.second)));
    }
  }

  std::vector<StackLayer> out;
  for (Entry& e : stack) {
    StackLayer sl = std::move(e.out);
    sl.name = e.name;
    sl.kind = e.kind;
    sl.loc = e.loc;
    for (const LString& p : e.raw_packages) {
      CAIRN_ASSIGN_OR_RETURN(LString x, ExpandPackageName(p, arch, debian_arch, flavour));
      sl.packages.push_back(std::move(x));
    }
    out.push_back(std::move(sl));
  }
  return out;
}

Result<std::string> NormalizeRequested(const std::string& a) {
  auto apk = NormalizeArch(a);
  if (apk) return *apk;
  Error e = UsageError(fmt::format("unknown architecture '{}'", a));
  if (auto s = SuggestClosest(a, KnownApkArchs()))
    return std::move(e).Hint(fmt::format("did you mean '{}'?", *s));
  return std::move(e).Hint(fmt::format("expected one of {}", QuoteList(KnownApkArchs())));
}

}  // namespace

std::string PackageSourceOf(const Image& image) {
  return image.contents.debian.empty() ? "apk" : "debian";
}

Result<std::string> DebianArchOf(std::string_view apk_arch) {
  std::string apk(apk_arch);
  if (auto n = NormalizeArch(apk_arch)) apk = *n;
  for (const auto& [a, d] : kDebianArchs) {
    if (apk == a) return std::string(d);
  }
  return Error(Code::kConfig, fmt::format("architecture '{}' has no Debian name", apk_arch));
}

Result<LString> ExpandPackageName(const LString& text, std::string_view arch,
                                  std::string_view debian_arch, std::string_view kernel_flavour) {
  static const std::vector<std::string> kVars = {"arch", "debian-arch", "kernel-flavour"};
  LString out{std::string(), text.loc};
  const std::string& s = text.value;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t open = s.find("${", pos);
    if (open == std::string::npos) {
      out.value += s.substr(pos);
      break;
    }
    out.value += s.substr(pos, open - pos);
    size_t close = s.find('}', open + 2);
    if (close == std::string::npos) {
      return ConfigError(text.loc, fmt::format("unterminated '${{' in '{}'", s))
          .Hint("write ${arch}, ${debian-arch} or ${kernel-flavour}");
    }
    std::string var = s.substr(open + 2, close - open - 2);
    if (var == "arch")
      out.value += arch;
    else if (var == "debian-arch")
      out.value += debian_arch;
    else if (var == "kernel-flavour")
      out.value += kernel_flavour;
    else {
      Error e = ConfigError(text.loc, fmt::format("unknown variable '${{{}}}' in '{}'", var, s));
      if (auto sug = SuggestClosest(var, kVars)) {
        return std::move(e).Hint(fmt::format("did you mean '${{{}}}'?", *sug));
      }
      return std::move(e).Hint("expected ${arch}, ${debian-arch} or ${kernel-flavour}");
    }
    pos = close + 1;
  }
  return out;
}

Result<std::vector<BuildTarget>> PlanTargets(const Image& image, std::string_view source,
                                             const std::vector<std::string>& archs) {
  if (source != "debian" && source != "apk") {
    return InternalError(fmt::format("unknown package source '{}'", source));
  }
  std::vector<std::string> wanted;
  for (const std::string& a : archs) {
    CAIRN_ASSIGN_OR_RETURN(std::string apk, NormalizeRequested(a));
    if (std::find(wanted.begin(), wanted.end(), apk) == wanted.end()) wanted.push_back(apk);
  }
  std::vector<BuildTarget> targets;
  if (image.board_defs.empty()) {
    if (wanted.empty()) {
      for (const LString& a : image.archs) wanted.push_back(a.value);
    }
    if (wanted.empty()) wanted.push_back(*NormalizeArch("host"));
    for (const std::string& arch : wanted) {
      BuildTarget t;
      t.name = arch;
      t.arch = arch;
      CAIRN_ASSIGN_OR_RETURN(t.layers, BuildStack(image, source, arch, nullptr, arch));
      targets.push_back(std::move(t));
    }
    return targets;
  }
  for (const Board& b : image.board_defs) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), b.arch.value) == wanted.end()) {
      continue;
    }
    if (b.arch.value.empty()) {
      return ConfigError(b.loc, fmt::format("board '{}' has no 'arch'", b.name.value));
    }
    BuildTarget t;
    t.name = b.name.value;
    t.arch = b.arch.value;
    t.board = &b;
    CAIRN_ASSIGN_OR_RETURN(t.layers, BuildStack(image, source, b.arch.value, &b,
                                                fmt::format("board '{}'", b.name.value)));
    targets.push_back(std::move(t));
  }
  if (targets.empty()) {
    std::vector<std::string> boards;
    for (const Board& b : image.board_defs)
      boards.push_back(b.name.value + " (" + b.arch.value + ")");
    return UsageError(
               fmt::format("no board of image '{}' is for {}", image.name.value, QuoteList(wanted)))
        .Hint(fmt::format("its boards are {}", QuoteList(boards, " and ")));
  }
  return targets;
}

}  // namespace cairn::config
