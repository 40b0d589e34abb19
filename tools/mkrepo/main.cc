// cairn-mkrepo: builds the project's own signed APK v2 repositories (the demo
// repository from images/demo-repo, and synthetic ones for benchmarks). A
// developer tool: the option table below drives both parsing and --help.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/testrepo/package_source.h"
#include "cairn/testrepo/repo_builder.h"
#include "cairn/testrepo/synth.h"

namespace {

using cairn::Result;
using cairn::UsageError;

struct Option {
  std::string_view name;  // without "--"
  std::string_view arg;   // empty: a switch
  std::string_view help;
};

constexpr Option kOptions[] = {
    {"key", "PEM", "RSA private key that signs packages and indexes (required)"},
    {"public-key", "PEM", "public key copied into the repository (default: <key>.pub)"},
    {"key-name", "NAME",
     "key name in '.SIGN.RSA256.<NAME>' and the repository's key file\n"
     "(default: the public key's file name, e.g. cairn-demo.rsa.pub)"},
    {"arch", "ARCH", "architecture to build, repeatable (default: x86_64 and aarch64)"},
    {"epoch", "SECONDS",
     "builddate and every mtime (default: $SOURCE_DATE_EPOCH, else 1700000000)"},
    {"description", "TEXT", "DESCRIPTION entry of each APKINDEX (default: cairn-mkrepo)"},
    {"generate", "N", "add N synthetic packages synth-0000.. plus synth-all (depends on all)"},
    {"payload-size", "BYTES", "content bytes of each synthetic package (default: 16K)"},
    {"max-files", "N", "each synthetic package has 1..N files (default: 8)"},
    {"max-depends", "N", "extra random dependencies per synthetic package (default: 2)"},
    {"chain-length", "N", "synth-i depends on synth-(i-1) within chains of N (default: 10)"},
    {"large", "N", "add N large packages synth-large-00.. (default: 0)"},
    {"large-size", "BYTES", "incompressible bytes in each large package (default: 32M)"},
    {"seed", "N", "seed of the synthetic file trees and dependencies (default: 1)"},
    {"quiet", "", "print errors only"},
    {"help", "", "show this help"},
};

void PrintHelp() {
  std::string s =
      "usage: cairn-mkrepo [options] SRC_DIR OUT_DIR\n"
      "       cairn-mkrepo [options] --generate N [SRC_DIR] OUT_DIR\n"
      "\n"
      "Builds a signed APK v2 repository, deterministically:\n"
      "  OUT_DIR/<key name>                      the public key\n"
      "  OUT_DIR/<arch>/APKINDEX.tar.gz          signed index\n"
      "  OUT_DIR/<arch>/<name>-<version>.apk     signed packages\n"
      "SRC_DIR holds one directory per package (PKGINFO, files/, ENTRIES; see\n"
      "images/demo-repo/README.md). OUT_DIR is replaced atomically.\n"
      "BYTES accept a K, M or G suffix (powers of 1024).\n"
      "\n"
      "options:\n";
  for (const Option& o : kOptions) {
    std::string head = fmt::format("  --{}{}{}", o.name, o.arg.empty() ? "" : " ", o.arg);
    std::string_view help = o.help;
    while (true) {
      size_t nl = help.find('\n');
      s += fmt::format("{:<26}{}\n", head, help.substr(0, nl));
      head.clear();
      if (nl == std::string_view::npos) break;
      help.remove_prefix(nl + 1);
    }
  }
  std::fputs(s.c_str(), stdout);
}

Result<uint64_t> ParseNumber(std::string_view flag, std::string_view text, bool allow_suffix) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  std::string_view rest(p, text.data() + text.size() - p);
  uint64_t mult = 1;
  if (allow_suffix && rest.size() == 1) {
    switch (rest[0]) {
      case 'K':
      case 'k':
        mult = 1ull << 10;
        rest = {};
        break;
      case 'M':
      case 'm':
        mult = 1ull << 20;
        rest = {};
        break;
      case 'G':
      case 'g':
        mult = 1ull << 30;
        rest = {};
        break;
      default:
        break;
    }
  }
  if (ec != std::errc() || !rest.empty() || text.empty()) {
    return UsageError(
        fmt::format("invalid value '{}' for --{} (expected {})", text, flag,
                    allow_suffix ? "a byte count such as 4096 or 64K" : "a non-negative integer"));
  }
  return v * mult;
}

struct Args {
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> switches;
  std::vector<std::string> positional;
};

Result<Args> Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h") arg = "--help";
    if (arg == "-q") arg = "--quiet";
    if (arg.size() < 2 || arg.substr(0, 2) != "--") {
      a.positional.emplace_back(arg);
      continue;
    }
    std::string name(arg.substr(2));
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const Option* opt = nullptr;
    for (const Option& o : kOptions) {
      if (o.name == name) opt = &o;
    }
    if (!opt) {
      return UsageError(fmt::format("unknown option '--{}'", name))
          .Hint("see 'cairn-mkrepo --help'");
    }
    if (opt->arg.empty()) {
      if (has_value) return UsageError(fmt::format("option '--{}' takes no value", name));
      a.switches.insert(name);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return UsageError(fmt::format("option '--{}' needs a value ({})", name, opt->arg));
      }
      value = argv[++i];
    }
    a.values[name].push_back(value);
  }
  return a;
}

Result<int> Run(int argc, char** argv) {
  CAIRN_ASSIGN_OR_RETURN(Args args, Parse(argc, argv));
  if (args.switches.count("help")) {
    PrintHelp();
    return 0;
  }
  auto last = [&](const std::string& name) -> const std::string* {
    auto it = args.values.find(name);
    return it == args.values.end() ? nullptr : &it->second.back();
  };
  auto number = [&](const std::string& name, uint64_t def, bool bytes) -> Result<uint64_t> {
    const std::string* v = last(name);
    return v ? ParseNumber(name, *v, bytes) : Result<uint64_t>(def);
  };

  cairn::testrepo::RepoOptions repo;
  if (const std::string* k = last("key")) {
    repo.private_key = *k;
  } else {
    return UsageError("missing required option '--key PEM'").Hint("see 'cairn-mkrepo --help'");
  }
  if (const std::string* v = last("public-key")) repo.public_key = *v;
  if (const std::string* v = last("key-name")) repo.key_name = *v;
  if (const std::string* v = last("description")) repo.description = *v;
  if (auto it = args.values.find("arch"); it != args.values.end()) repo.archs = it->second;
  if (const std::string* v = last("epoch")) {
    CAIRN_ASSIGN_OR_RETURN(uint64_t e, ParseNumber("epoch", *v, false));
    repo.epoch = static_cast<int64_t>(e);
  } else if (const char* env = std::getenv("SOURCE_DATE_EPOCH"); env && *env) {
    auto e = ParseNumber("epoch", env, false);
    if (!e)
      return UsageError(fmt::format("invalid SOURCE_DATE_EPOCH '{}' (expected seconds)", env));
    repo.epoch = static_cast<int64_t>(*e);
  }

  cairn::testrepo::SynthOptions synth;
  const bool generate = last("generate") != nullptr;
  CAIRN_ASSIGN_OR_RETURN(synth.count, number("generate", 0, false));
  CAIRN_ASSIGN_OR_RETURN(synth.payload_size, number("payload-size", synth.payload_size, true));
  CAIRN_ASSIGN_OR_RETURN(synth.max_files, number("max-files", synth.max_files, false));
  CAIRN_ASSIGN_OR_RETURN(synth.max_depends, number("max-depends", synth.max_depends, false));
  CAIRN_ASSIGN_OR_RETURN(synth.chain_length, number("chain-length", synth.chain_length, false));
  CAIRN_ASSIGN_OR_RETURN(synth.large_count, number("large", 0, false));
  CAIRN_ASSIGN_OR_RETURN(synth.large_size, number("large-size", synth.large_size, true));
  CAIRN_ASSIGN_OR_RETURN(synth.seed, number("seed", synth.seed, false));
  const bool synthetic = generate || synth.large_count > 0;

  const size_t min_pos = synthetic ? 1 : 2;
  if (args.positional.size() < min_pos || args.positional.size() > 2) {
    return UsageError(synthetic ? "expected [SRC_DIR] OUT_DIR" : "expected SRC_DIR OUT_DIR")
        .Hint("see 'cairn-mkrepo --help'");
  }
  const std::string out_dir = args.positional.back();

  std::vector<cairn::testrepo::PackageSource> packages;
  if (args.positional.size() == 2) {
    CAIRN_ASSIGN_OR_RETURN(packages, cairn::testrepo::LoadRepoSource(args.positional[0]));
  }
  if (synthetic) {
    std::set<std::string> names;
    for (const auto& p : packages) names.insert(p.info.name);
    for (auto& p : cairn::testrepo::GenerateSources(synth)) {
      if (names.count(p.info.name)) {
        return UsageError(fmt::format("synthetic package '{}' clashes with a package in '{}'",
                                      p.info.name, args.positional[0]));
      }
      packages.push_back(std::move(p));
    }
    std::sort(packages.begin(), packages.end(),
              [](const auto& a, const auto& b) { return a.info.name < b.info.name; });
  }
  if (packages.empty()) return UsageError("no packages to build (--generate 0 and no SRC_DIR)");

  const bool quiet = args.switches.count("quiet") > 0;
  cairn::TerminalReporter reporter(stderr,
                                   quiet ? cairn::Verbosity::kQuiet : cairn::Verbosity::kNormal);
  CAIRN_ASSIGN_OR_RETURN(auto summary,
                         cairn::testrepo::BuildRepo(packages, repo, out_dir, reporter));
  if (!quiet) {
    std::string archs;
    for (const auto& a : repo.archs) archs += (archs.empty() ? "" : ", ") + a;
    reporter.Info(fmt::format("wrote {} packages for {} ({} bytes) to '{}', key '{}'",
                              summary.packages_per_arch, archs, summary.total_bytes, out_dir,
                              summary.key_name));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto r = Run(argc, argv);
  if (r) return *r;
  // A located error renders as "file:line:col: error: ..." already.
  std::fprintf(stderr, "cairn-mkrepo: %s%s\n",
               r.error().loc().known() ? "" : "error: ", r.error().Render().c_str());
  return r.error().code() == cairn::Code::kUsage || r.error().code() == cairn::Code::kConfig ? 2
                                                                                             : 1;
}
