#include "cli/options.h"

#include <algorithm>

#include <fmt/format.h>

#include "cairn/config/did_you_mean.h"

namespace cairn::cli {

const std::vector<OptionSpec>& AllOptions() {
  static const std::vector<OptionSpec> kOptions = {
      // Global options.
      {"directory", 'C', "DIR", "run as if started in DIR", false},
      {"verbose", 'v', "", "more output: -v per package and timings, -vv commands and URLs", true},
      {"quiet", 'q', "", "errors only", false},
      {"color", 0, "WHEN", "colour output: auto, always or never", false},
      {"cache-dir", 0, "DIR", "download cache (default $CAIRN_CACHE_DIR or ~/.cache/cairn)", false},
      {"help", 'h', "", "show help for the verb", false},
      // Verb options.
      {"output", 'o', "PATH", "output directory (build) or file (lock, edit)", false},
      {"arch", 0, "ARCH", "build only this architecture (repeatable)", true},
      {"lockfile", 0, "FILE", "use exactly the packages of this lock file", false},
      {"offline", 0, "", "use only the download cache, never the network", false},
      {"allow-untrusted", 0, "", "accept unsigned packages and indexes and unknown keys", false},
      {"source-date-epoch", 0, "N", "timestamp for every file and record (else $SOURCE_DATE_EPOCH)",
       false},
      {"compression-level", 0, "N", "gzip level for layers, 1-9 (default 6)", false},
      {"no-layer-cache", 0, "", "compress every layer again instead of reusing finished ones",
       false},
      {"no-disk", 0, "", "do not write the boards' disk images", false},
      {"board", 0, "NAME", "the board to boot (default: the image's only board)", false},
      {"check", 0, "MARKER", "boot headless and succeed once MARKER is on the console", false},
      {"timeout", 0, "SECONDS", "how long --check waits for the marker (default 300)", false},
      {"json", 0, "", "print data as JSON", false},
      {"copy-in", 0, "SRC:DEST", "copy a host file or directory to DEST in the image", true},
      {"mkdir", 0, "DEST", "make a directory (and missing parents) in the image", true},
      {"delete", 0, "DEST", "delete a path (recursively) from the image", true},
      {"write", 0, "DEST=TEXT", "write TEXT (as given) to the file DEST in the image", true},
      {"owner", 0, "UID:GID", "owner of what the following operations create (default 0:0)",
       true},
      {"in-place", 0, "", "edit DISK itself (still through a copy renamed over it)", false},
      {"push", 0, "REF", "push the built image to REF afterwards (as 'cairn publish')", false},
      {"plain-http", 0, "", "talk to the registry over plain HTTP (a local test registry)", false},
      {"cache-registry", 0, "REPO",
       "share layers and packages with other builders through this registry repository "
       "(else $CAIRN_CACHE_REGISTRY)",
       false},
      {"cache-read-only", 0, "", "take from --cache-registry but store nothing there", false},
      {"ref", 0, "NAME", "push only this image of the layout (its ref name in index.json)", false},
      {"files", 0, "", "also push the disk images, squashfs and erofs files as OCI artifacts",
       false},
      {"matrix-entry", 0, "N", "build only entry N of the plan of FILE... (or of images/)", false},
      {"all", 0, "", "build every entry of the plan of FILE... (or of images/) here", false},
      {"jobs", 'j', "N", "with --all: at most N builds at once (default half the cores)", false},
      {"github-matrix", 0, "", "print {\"include\":[{\"entry\":N,\"name\":...}]} on one line",
       false},
  };
  return kOptions;
}

const std::vector<std::string_view>& GlobalOptionNames() {
  static const std::vector<std::string_view> kGlobal = {"directory", "verbose", "quiet",
                                                        "color",     "cache-dir", "help"};
  return kGlobal;
}

const std::vector<VerbSpec>& AllVerbs() {
  static const std::vector<VerbSpec> kVerbs = {
      {"build", "FILE", "build an image: OCI layout, SBOMs and lock file",
       "Resolves, locks, fetches and verifies the packages of FILE, composes the root\n"
       "filesystem and writes DIR/oci (OCI image layout), DIR/sbom (SPDX 2.3) and\n"
       "DIR/cairn.lock. DIR defaults to out/<image name>. Prints the image digest.\n"
       "With --matrix-entry N it builds entry N of 'cairn plan FILE...' (every image of\n"
       "images/ without FILE): that one target into out/<image>/<target>. With --all it\n"
       "builds every entry here, each as a 'cairn build --matrix-entry N' of its own\n"
       "(log in <output_dir>.log), and prints '<index> <image>-<target> <digest>' or the\n"
       "failure per entry; a failed entry does not stop the others.",
       {"output", "arch", "lockfile", "offline", "allow-untrusted", "source-date-epoch",
        "compression-level", "no-layer-cache", "no-disk", "json", "push", "plain-http",
        "cache-registry", "cache-read-only", "files", "matrix-entry", "all", "jobs"},
       1, 1, {"matrix-entry", "all"}},
      {"lock", "FILE", "resolve packages and write the lock file without building",
       "Writes the lock (every package, version, arch, URL, checksum, and the keys) to\n"
       "-o FILE, default FILE's name with .lock beside it.",
       {"output", "arch", "offline", "allow-untrusted"}, 1, 1},
      {"resolve", "FILE", "print the resolved packages in install order",
       "Prints one 'name version' line per package in install order (per architecture\n"
       "when several are built), or JSON with --json.",
       {"arch", "lockfile", "offline", "allow-untrusted", "json"}, 1, 1},
      {"show", "FILE", "print the effective declaration after includes",
       "Prints the merged declaration as YAML (or JSON with --json) so you can see what\n"
       "the includes produced.",
       {"json"}, 1, 1},
      {"list", "[images|layers|boards]", "list the declarations of the project",
       "Lists images/, layers/ and boards/ of the project directory (see -C).", {"json"}, 0, 1},
      {"validate", "FILE...", "check declarations without building",
       "Loads and validates each FILE; prints 'FILE: ok' or the errors.", {"json"}, 1, -1},
      {"sbom", "FILE|DIR", "print the SPDX SBOM of a built image",
       "Prints the SBOM written by 'cairn build' for FILE's image (or the output DIR);\n"
       "the index SBOM for a multi-arch image unless --arch is given.",
       {"output", "arch"}, 1, 1},
      {"run", "FILE", "boot a built board disk image under QEMU",
       "Boots DIR/disk/<board>.img (DIR as for build) under QEMU with the board's qemu\n"
       "settings, serial console on the terminal. With --check MARKER it runs headless\n"
       "without networking and exits 0 when MARKER appears on the console, non-zero with\n"
       "the console's last lines on timeout or when the boot fails.",
       {"output", "board", "check", "timeout"}, 1, 1},
      {"inspect", "DISK", "show what a disk image holds: partitions, boot entries, OS, packages",
       "Reads DISK (raw; qcow2 when named *.qcow2) read-only through the libguestfs\n"
       "appliance (one launch, ~20-40 s under TCG) and prints the partition table, each\n"
       "filesystem, its boot entries (systemd-boot, GRUB, extlinux), EFI binaries,\n"
       "Raspberry Pi config.txt/cmdline.txt and, for root filesystems, the OS and its\n"
       "dpkg and apk packages; JSON with --json.",
       {"json"}, 1, 1},
      {"edit", "DISK", "copy files into a disk image, make, delete or write paths in it",
       "Copies DISK (raw; qcow2 when named *.qcow2) to -o OUT and applies the operations\n"
       "in command-line order through the libguestfs appliance (one launch): --copy-in,\n"
       "--mkdir, --delete, --write. DEST is PART:/path (PART a partition number, GPT name\n"
       "or filesystem label) or /path in the operating system found on the disk. DISK is\n"
       "never modified (unless --in-place); OUT appears only when every step succeeded.",
       {"output", "copy-in", "mkdir", "delete", "write", "owner", "in-place",
        "source-date-epoch"},
       1, 1},
      {"publish", "DIR REF", "push a built image and its SBOMs to a registry",
       "Pushes DIR (a 'cairn build' output directory, or an OCI image layout) to REF\n"
       "(registry/repository[:tag]) over the OCI distribution API: blobs the registry\n"
       "has are skipped, blobs another repository of it has are mounted, the tag goes\n"
       "last. Each image's SBOM (DIR/sbom) is attached as an OCI artifact referring to\n"
       "it. Credentials come from the Docker config file and its credential helpers.\n"
       "Without a tag in REF, every image of index.json goes under its own name.\n"
       "Prints '<digest> <registry>/<repository>:<tag>' per tag.",
       {"plain-http", "ref", "files"}, 2, 2},
      {"plan", "[FILE...]", "print the build matrix: one entry per board or architecture",
       "Prints as JSON the builds that FILE... (without FILE: every image of images/)\n"
       "imply, one entry per target (a board, or an architecture for an image without\n"
       "boards) with its outputs, output directory, input files with their sha256 and\n"
       "a key over them, for a CI matrix or a Job array ('cairn build --matrix-entry N'\n"
       "runs one). See docs/build-matrix.md.",
       {"arch", "lockfile", "no-disk", "github-matrix"}, 0, -1},
      {"version", "", "print cairn's version", "", {"json"}, 0, 0},
      {"help", "[VERB]", "show help", "", {}, 0, 1},
  };
  return kVerbs;
}

const VerbSpec* FindVerb(std::string_view name) {
  for (const auto& v : AllVerbs())
    if (v.name == name) return &v;
  return nullptr;
}

std::string Invocation::get(std::string_view name, std::string fallback) const {
  auto it = values.find(std::string(name));
  if (it == values.end() || it->second.empty()) return fallback;
  return it->second.back();
}
std::vector<std::string> Invocation::all(std::string_view name) const {
  auto it = values.find(std::string(name));
  return it == values.end() ? std::vector<std::string>{} : it->second;
}
int Invocation::count(std::string_view name) const {
  auto it = values.find(std::string(name));
  return it == values.end() ? 0 : static_cast<int>(it->second.size());
}

std::string Suggest(std::string_view word, const std::vector<std::string_view>& candidates) {
  // Command-line typos are often transpositions ("bulid"), which cost two
  // edits; allow two for words this short, more for longer ones.
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (auto c : candidates) {
    size_t d = config::EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = std::string(c);
    }
  }
  return best;
}

namespace {

const OptionSpec* FindLong(std::string_view name) {
  for (const auto& o : AllOptions())
    if (o.name == name) return &o;
  return nullptr;
}
const OptionSpec* FindShort(char c) {
  for (const auto& o : AllOptions())
    if (o.short_name == c) return &o;
  return nullptr;
}

bool Accepts(const VerbSpec* verb, std::string_view opt) {
  const auto& g = GlobalOptionNames();
  if (std::find(g.begin(), g.end(), opt) != g.end()) return true;
  if (!verb) return false;
  return std::find(verb->options.begin(), verb->options.end(), opt) != verb->options.end();
}

std::string HelpHint(const VerbSpec* verb) {
  return verb ? fmt::format("see 'cairn {} --help'", verb->name) : "see 'cairn --help'";
}

}  // namespace

Result<Invocation> Parse(const std::vector<std::string>& argv) {
  Invocation inv;
  const VerbSpec* verb = nullptr;
  std::vector<std::string> pending;  // options seen before the verb, validated once it is known
  bool only_args = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (!only_args && a == "--") {
      only_args = true;
      continue;
    }
    if (!only_args && a.size() > 1 && a[0] == '-') {
      std::vector<std::pair<const OptionSpec*, std::string>> found;  // option, inline value
      if (a[1] == '-') {
        std::string name = a.substr(2), value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
          value = name.substr(eq + 1);
          name = name.substr(0, eq);
          has_value = true;
        }
        const OptionSpec* o = FindLong(name);
        if (!o) {
          std::vector<std::string_view> names;
          for (const auto& opt : AllOptions()) names.push_back(opt.name);
          auto e = UsageError(fmt::format("unknown option '--{}'", name));
          std::string s = Suggest(name, names);
          return std::move(e).Hint((s.empty() ? "" : fmt::format("did you mean '--{}'? ", s)) +
                                   HelpHint(verb));
        }
        if (o->arg.empty() && has_value)
          return UsageError(fmt::format("option '--{}' takes no value", name)).Hint(HelpHint(verb));
        if (!o->arg.empty() && !has_value) {
          if (i + 1 >= argv.size())
            return UsageError(fmt::format("option '--{}' needs a value ({})", name, o->arg))
                .Hint(HelpHint(verb));
          value = argv[++i];
        }
        found.push_back({o, value});
      } else {
        // Short options may be bundled (-vv); one taking a value ends the bundle.
        for (size_t k = 1; k < a.size(); ++k) {
          const OptionSpec* o = FindShort(a[k]);
          if (!o)
            return UsageError(fmt::format("unknown option '-{}'", a[k])).Hint(HelpHint(verb));
          std::string value;
          if (!o->arg.empty()) {
            if (k + 1 < a.size()) {
              value = a.substr(k + 1);
            } else if (i + 1 < argv.size()) {
              value = argv[++i];
            } else {
              return UsageError(fmt::format("option '-{}' needs a value ({})", a[k], o->arg))
                  .Hint(HelpHint(verb));
            }
            found.push_back({o, value});
            break;
          }
          found.push_back({o, ""});
        }
      }
      for (auto& [o, value] : found) {
        std::string name(o->name);
        if (verb && !Accepts(verb, name))
          return UsageError(fmt::format("'cairn {}' does not take '--{}'", verb->name, name))
              .Hint(HelpHint(verb));
        if (!verb) pending.push_back(name);
        auto& vals = inv.values[name];
        if (!vals.empty() && !o->repeatable && !o->arg.empty())
          return UsageError(fmt::format("option '--{}' given more than once", name))
              .Hint(HelpHint(verb));
        vals.push_back(value);
        inv.ordered.emplace_back(name, value);
      }
      continue;
    }
    if (!verb) {
      verb = FindVerb(a);
      if (!verb) {
        std::vector<std::string_view> names;
        for (const auto& v : AllVerbs()) names.push_back(v.name);
        auto e = UsageError(fmt::format("unknown verb '{}'", a));
        std::string s = Suggest(a, names);
        return std::move(e).Hint((s.empty() ? "" : fmt::format("did you mean '{}'? ", s)) +
                                 "see 'cairn --help'");
      }
      inv.verb = std::string(verb->name);
      continue;
    }
    inv.args.push_back(a);
  }
  if (inv.has("help")) {
    // `cairn build --help` shows the verb's help.
    if (verb && verb->name != "help") inv.args = {std::string(verb->name)};
    inv.verb = "help";
    return inv;
  }
  if (!verb) {
    inv.verb = "help";
    return inv;
  }
  for (const auto& name : pending)
    if (!Accepts(verb, name))
      return UsageError(fmt::format("'cairn {}' does not take '--{}'", verb->name, name))
          .Hint(HelpHint(verb));
  int n = static_cast<int>(inv.args.size());
  for (auto lifting : verb->any_args_with)
    if (inv.has(lifting)) return inv;
  if (n < verb->min_args)
    return UsageError(fmt::format("'cairn {}' needs {}", verb->name, verb->args)).Hint(HelpHint(verb));
  if (verb->max_args >= 0 && n > verb->max_args)
    return UsageError(fmt::format("'cairn {}' takes {} but got {} argument{}", verb->name,
                                  verb->max_args == 0 ? std::string("no arguments")
                                                      : std::string(verb->args),
                                  n, n == 1 ? "" : "s"))
        .Hint(HelpHint(verb));
  return inv;
}

static std::string OptionLine(const OptionSpec& o) {
  std::string left = o.short_name ? fmt::format("-{}, --{}", o.short_name, o.name)
                                  : fmt::format("    --{}", o.name);
  if (!o.arg.empty()) left += " " + std::string(o.arg);
  return fmt::format("  {:<30} {}\n", left, o.help);
}

std::string GeneralHelp() {
  std::string out =
      "usage: cairn [options] <verb> [verb options] [args]\n\n"
      "cairn composes reproducible OCI images (and, later, bootable images) from\n"
      "declarations in YAML and signed package repositories, without root.\n\nverbs:\n";
  for (const auto& v : AllVerbs()) out += fmt::format("  {:<10} {}\n", v.name, v.summary);
  out += "\nglobal options:\n";
  for (auto name : GlobalOptionNames())
    if (const OptionSpec* o = FindLong(name)) out += OptionLine(*o);
  out += "\nsee 'cairn <verb> --help' for a verb's options; exit codes: 0 ok, 1 build failed,\n"
         "2 usage or declaration error, 130 interrupted (docs/cairn.1.md)\n";
  return out;
}

std::string VerbHelp(const VerbSpec& verb) {
  std::string out = fmt::format("usage: cairn {} [options] {}\n\n{}\n", verb.name, verb.args,
                                verb.summary);
  if (!verb.description.empty()) out += "\n" + std::string(verb.description) + "\n";
  if (!verb.options.empty()) {
    out += "\noptions:\n";
    for (auto name : verb.options)
      if (const OptionSpec* o = FindLong(name)) out += OptionLine(*o);
  }
  out += "\nglobal options:\n";
  for (auto name : GlobalOptionNames())
    if (const OptionSpec* o = FindLong(name)) out += OptionLine(*o);
  return out;
}

}  // namespace cairn::cli
