// Converting a tar header (ArchiveEntry) into the rootfs model (FsEntry),
// private to the extract module. Every package reader (.apk, .deb) uses this
// one conversion so that both formats give the tree identical entries:
// normalised paths, normalised hard link targets, verbatim symlink targets,
// numeric owners.
//
//   CAIRN_ASSIGN_OR_RETURN(rootfs::FsEntry e, internal::ToFsEntry(raw));
#pragma once

#include "cairn/extract/archive.h"
#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::extract::internal {

/// The FsEntry for `in`: the path through rootfs::NormalizePath ("./usr/"
/// becomes "usr", "./" becomes ""; ".." is kIntegrity), size for regular
/// files only, a symlink target verbatim, a hard link target normalised
/// (kIntegrity if it is empty, i.e. a link to the root).
Result<rootfs::FsEntry> ToFsEntry(const ArchiveEntry& in);

}  // namespace cairn::extract::internal
