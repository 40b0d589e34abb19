// The Debian binary package model shared by the Packages index parser, the
// resolver, the installer, the dpkg database writer, the lock and the SBOM.
//
// A Package is one stanza of a Packages index (or one .deb's control file):
// identity, metadata, relations and, for index stanzas, where the .deb is and
// what its size and SHA256 must be. The stanza itself is kept so that fields
// cairn does not model still reach dpkg's status file unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/deb/control.h"
#include "cairn/result.h"

namespace cairn::deb {

/// Relation operators of deb-control(5).
enum class RelationOp {
  kAny,        ///< bare name
  kLess,       ///< <<
  kLessEq,     ///< <=  (also the obsolete '<')
  kEqual,      ///< =
  kGreaterEq,  ///< >=  (also the obsolete '>')
  kGreater,    ///< >>
};

/// One relation: `name[:archqual] [(op version)]`.
struct Relation {
  std::string name;
  std::string arch_qualifier;  ///< "any", "native", an architecture, or ""
  RelationOp op = RelationOp::kAny;
  std::string version;         ///< "" for kAny
  bool operator==(const Relation&) const = default;
};

/// `a | b | c`: satisfied by any one of them.
using Alternatives = std::vector<Relation>;
/// A comma-separated relation field (Depends, Pre-Depends, Conflicts, ...).
using RelationList = std::vector<Alternatives>;

/// Parses a relation field. Binary-package fields only: architecture
/// restrictions ("[amd64]") and build profiles ("<!nocheck>") are errors.
/// Whitespace and line breaks between tokens are allowed anywhere.
Result<RelationList> ParseRelations(std::string_view text);
/// Canonical text: "libc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0".
std::string FormatRelations(const RelationList& relations);
std::string FormatRelation(const Relation& relation);

struct Package {
  std::string name;          ///< Package
  std::string version;       ///< Version (verbatim; compare with deb::CompareVersions)
  std::string architecture;  ///< Architecture: "amd64", "arm64", "all"
  std::string multi_arch;    ///< Multi-Arch: "", "same", "foreign", "allowed"
  bool essential = false;    ///< Essential: yes
  bool is_protected = false; ///< Protected: yes
  std::string priority;      ///< Priority: required, important, standard, optional, extra
  std::string section;
  std::string maintainer;
  std::string homepage;
  std::string description;   ///< Description, first line (the synopsis) only
  std::string source;        ///< Source package name (defaults to `name`)
  std::string source_version;///< Source version, from "Source: name (ver)" (defaults to `version`)
  uint64_t installed_size_kib = 0;  ///< Installed-Size
  RelationList depends, pre_depends, recommends, suggests, enhances;
  RelationList conflicts, breaks, replaces, provides;

  // Index stanzas only (empty for a .deb's own control file).
  std::string filename;      ///< Filename, relative to the archive root ("pool/main/...")
  uint64_t size = 0;         ///< Size of the .deb
  std::string sha256;        ///< SHA256 of the .deb, lowercase hex
  std::string md5sum;        ///< MD5sum

  /// Where the stanza came from, for messages and the lock, e.g.
  /// "http://deb.example/debian bookworm/main amd64".
  std::string repository;
  /// The archive root URL the Filename is relative to.
  std::string archive_url;
  /// The stanza as read (index or control file), for fields not modelled.
  Paragraph paragraph;

  /// "name:arch" for Multi-Arch: same packages, else "name": dpkg's info file stem.
  std::string DpkgName() const;
  /// "name_version_arch.deb" with the epoch's ':' written as "%3a", as in the pool.
  std::string FileName() const;
};

/// Builds a Package from a paragraph (index stanza or control file). Errors
/// name `origin` and the paragraph's line; missing Package/Version/Architecture
/// and malformed relation or size fields are kIntegrity.
Result<Package> PackageFromParagraph(const Paragraph& paragraph, std::string_view origin);

/// Parses a whole (decompressed) Packages index; `repository` and
/// `archive_url` are copied into every Package.
Result<std::vector<Package>> ParsePackagesIndex(std::string_view text, std::string_view origin,
                                                std::string_view repository,
                                                std::string_view archive_url);

}  // namespace cairn::deb
