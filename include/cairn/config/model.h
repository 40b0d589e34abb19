// The typed declaration model: what `cairn` builds, after YAML loading,
// include merging and validation. Immutable after Load (config/loader.h).
//
// The format is apko's image configuration (contents, archs, accounts,
// entrypoint, cmd, environment, paths, work-dir, annotations, include), so an
// apko file loads as is, extended with cairn's own keys: `name`, `files`
// (inline file content), and room for `layers` and `boards` (later issues).
// Every value that a later stage may complain about keeps its SourceLoc, so
// "unknown package 'bussybox'" points at the YAML node.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/error.h"

namespace cairn::config {

/// A scalar with the place it was declared.
template <typename T>
struct Located {
  T value{};
  SourceLoc loc;
};
using LString = Located<std::string>;

/// cairn: one Debian archive source, as a deb822 sources entry (`contents.debian.sources[]`).
struct DebianSource {
  /// Archive root URL; "" takes $CAIRN_DEBIAN_ARCHIVE (or, for a "-security"
  /// suite, $CAIRN_DEBIAN_SECURITY_ARCHIVE), else the host's apt sources.
  LString url;
  std::vector<LString> suites;      ///< e.g. bookworm, bookworm-updates
  std::vector<LString> components;  ///< default: main
  std::vector<LString> keyring;     ///< OpenPGP keyrings; default: debian-archive-keyring
  SourceLoc loc;
};

/// cairn: Debian packages for the image (`contents.debian`).
struct Debian {
  std::vector<DebianSource> sources;
  std::optional<bool> recommends;  ///< install Recommends (default false)
  std::optional<bool> essential;   ///< add every Essential: yes package (default true)
  std::optional<bool> required;    ///< add every Priority: required package (default false)
  /// Accept a Release past its Valid-Until (for dated snapshot archives; default false).
  std::optional<bool> allow_expired;
  SourceLoc loc;  ///< the `debian:` key

  bool empty() const { return sources.empty() && !loc.known(); }
};

struct Contents {
  std::vector<LString> repositories;        ///< URLs or paths; "@tag url" pins a tag
  std::vector<LString> build_repositories;  ///< used to build, not written to the image
  std::vector<LString> runtime_repositories;///< written to the image, not used to build
  std::vector<LString> keyring;             ///< key files (paths or URLs)
  std::vector<LString> packages;            ///< world atoms (or Debian `name[=version]`)
  Debian debian;                            ///< cairn: Debian sources instead of APK repositories
  SourceLoc loc;
};

struct Group {
  LString groupname;
  std::optional<uint32_t> gid;
  std::vector<std::string> members;
  SourceLoc loc;
};

struct User {
  LString username;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::string shell;    ///< default /bin/sh
  std::string homedir;  ///< default /home/<username>
  SourceLoc loc;
};

struct Accounts {
  std::vector<Group> groups;
  std::vector<User> users;
  LString run_as;  ///< config User
  SourceLoc loc;   ///< the `accounts:` key
};

/// apko `paths:` mutation.
struct PathMutation {
  enum class Type { kDirectory, kEmptyFile, kHardLink, kSymLink, kPermissions };
  LString path;
  Type type = Type::kDirectory;
  LString source;  ///< link target for kHardLink / kSymLink
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t permissions = 0755;
  bool recursive = false;
  SourceLoc loc;
};

/// cairn `files:` entry: a file declared inline (no package needed).
struct InlineFile {
  LString path;
  std::string content;
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  SourceLoc loc;
};

struct Entrypoint {
  std::string type;           ///< apko: "" or "service-bundle" (not supported yet)
  std::string command;        ///< shell-split into Entrypoint
  std::string shell_fragment; ///< becomes ["/bin/sh", "-c", fragment]
  std::map<std::string, std::string> services;  ///< apko service-bundle services (name -> command)
  SourceLoc loc;              ///< the `entrypoint:` key

  bool empty() const {
    return type.empty() && command.empty() && shell_fragment.empty() && services.empty();
  }
};

/// apko `layering:` (OCI layer budget); parsed and shown, not yet used.
struct Layering {
  std::string strategy;
  std::optional<int64_t> budget;
  SourceLoc loc;

  bool empty() const { return strategy.empty() && !budget; }
};

/// One declaration file after includes are merged.
struct Image {
  std::string source_file;  ///< the top-level file that was loaded
  std::vector<std::string> included_files;  ///< every file read, in order (for the lock hash)
  LString name;             ///< cairn: image name; default: file stem
  LString description;      ///< cairn: one line for `cairn list`
  Contents contents;
  std::vector<LString> archs;  ///< apk arch names after normalisation (x86_64, aarch64, ...)
  Accounts accounts;
  Entrypoint entrypoint;
  std::string cmd;
  std::string stop_signal;
  std::string work_dir;
  std::map<std::string, std::string> environment;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> volumes;
  std::vector<PathMutation> paths;
  std::vector<InlineFile> files;
  /// cairn extensions for later issues; parsed and shown, not yet built.
  std::vector<LString> layers;
  std::vector<LString> boards;
  std::string vcs_url;      ///< apko `vcs-url`
  Layering layering;        ///< apko `layering`
  /// Where each top-level key ("contents", "cmd", "volumes", ...) was declared, so
  /// semantic errors about plain-string fields still point into the YAML.
  std::map<std::string, SourceLoc> key_locs;
};

}  // namespace cairn::config
