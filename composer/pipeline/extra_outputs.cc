// WriteExtraOutputs: squashfs, erofs and cpio files from the final tree; see
// extra_outputs.h.
#include "pipeline/extra_outputs.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "cairn/disk/erofs.h"
#include "cairn/disk/ids.h"
#include "cairn/file_util.h"
#include "cairn/initramfs/cpio.h"
#include "cairn/squashfs/squashfs.h"

namespace cairn::pipeline {
namespace {

namespace fs = std::filesystem;

std::string CpioExtension(initramfs::CpioCompression c) {
  switch (c) {
    case initramfs::CpioCompression::kGzip: return ".cpio.gz";
    case initramfs::CpioCompression::kZstd: return ".cpio.zst";
    case initramfs::CpioCompression::kNone: break;
  }
  return ".cpio";
}

// The tree's layer index for `o.layer`: -1 (the merged root) when unset.
Result<int> LayerIndex(const ExtraOutputsRequest& req, const config::Output& o) {
  if (o.layer.value.empty()) return -1;
  const auto& names = req.layer_names;
  auto it = std::find(names.begin(), names.end(), o.layer.value);
  if (it == names.end())
    return ConfigError(o.layer.loc, fmt::format("{} has no layer '{}'", req.target, o.layer.value))
        .Hint(fmt::format("its layers are {}", fmt::join(names, ", ")));
  // A single-layer image's tree is not split into layers.
  return names.size() > 1 ? static_cast<int>(it - names.begin()) : -1;
}

Status WriteSquashfsOutput(const ExtraOutputsRequest& req, const config::Output& o,
                           const fs::path& file) {
  squashfs::SquashfsOptions so;
  so.epoch = req.epoch;
  if (!o.compression.value.empty()) so.compressor = o.compression.value;
  so.compression_level = o.level;
  CAIRN_ASSIGN_OR_RETURN(so.layer, LayerIndex(req, o));
  return squashfs::WriteSquashfs(*req.tree, file, so);
}

Status WriteErofsOutput(const ExtraOutputsRequest& req, const config::Output& o,
                        const fs::path& file) {
  disk::ErofsOptions eo;
  eo.epoch = req.epoch;
  eo.uuid = disk::DeriveUuid(req.seed, "erofs-output", req.target);
  if (!o.compression.value.empty()) eo.compression = o.compression.value;
  eo.level = o.level;
  eo.work_dir = req.work_dir;
  eo.reporter = req.reporter;
  return disk::WriteErofs(*req.tree, file, eo);
}

// The whole root as an initramfs: the kernel runs /init from it and never
// looks for a root device, so a root with only /sbin/init gets an /init
// symlink (in a layer of its own on top, after every other output is written).
Status AddInitLink(const ExtraOutputsRequest& req, const config::Output& o) {
  rootfs::Tree& tree = *req.tree;
  if (tree.Find("init")) return {};
  if (!tree.Resolve("sbin/init").ok())
    return ConfigError(o.loc,
                       fmt::format("{}: a cpio of the root needs /init or /sbin/init to run",
                                   req.target))
        .Hint("add an init layer (e.g. init-busybox), or use 'contents: initramfs'");
  tree.BeginLayer(tree.current_layer() + 1);
  return tree.AddSymlink("init", "sbin/init", req.epoch);
}

}  // namespace

Result<std::vector<std::string>> WriteExtraOutputs(const ExtraOutputsRequest& req) {
  std::vector<std::string> written;
  std::set<std::string> names;
  // Root cpios last: they may add /init to the tree.
  std::vector<const config::Output*> order;
  for (const auto& o : *req.outputs)
    if (!(o.type.value == "cpio" && o.contents.value != "initramfs")) order.push_back(&o);
  for (const auto& o : *req.outputs)
    if (o.type.value == "cpio" && o.contents.value != "initramfs") order.push_back(&o);
  bool init_added = false;
  for (const config::Output* o : order) {
    const std::string& type = o->type.value;
    if (type == "disk") continue;
    std::string rel;
    initramfs::CpioCompression cpio_comp = initramfs::CpioCompression::kGzip;
    if (type == "squashfs") {
      rel = fmt::format("squashfs/{}{}.squashfs", req.target,
                        o->layer.value.empty() ? "" : "-" + o->layer.value);
    } else if (type == "erofs") {
      rel = fmt::format("erofs/{}.erofs", req.target);
    } else {
      if (!o->compression.value.empty()) {
        CAIRN_ASSIGN_OR_RETURN(cpio_comp, initramfs::ParseCompression(o->compression.value));
      }
      rel = fmt::format("cpio/{}{}{}", req.target,
                        o->contents.value == "initramfs" ? "-initramfs" : "",
                        CpioExtension(cpio_comp));
    }
    if (!names.insert(rel).second)
      return ConfigError(o->loc, fmt::format("two outputs would both write '{}'", rel))
          .Hint("outputs of one type differ by layer or contents, not by compression alone");
    const fs::path file = req.staging / rel;
    CAIRN_TRY(MakeDirs(file.parent_path()));
    if (req.reporter) req.reporter->Info(fmt::format("{}: writing {}", req.target, rel));
    if (type == "squashfs") {
      CAIRN_TRY(WriteSquashfsOutput(req, *o, file));
    } else if (type == "erofs") {
      CAIRN_TRY(WriteErofsOutput(req, *o, file));
    } else if (o->contents.value == "initramfs") {
      if (!req.board.board)
        return ConfigError(o->loc, fmt::format("{} is not a board: no kernel to make an "
                                               "initramfs for",
                                               req.target));
      CAIRN_ASSIGN_OR_RETURN(std::string initrd, BoardInitramfs(req.board));
      // BoardInitramfs compresses with gzip, as the disk's boot partition needs.
      if (cpio_comp != initramfs::CpioCompression::kGzip)
        return ConfigError(o->compression.loc, "the generated initramfs is gzip-compressed")
            .Hint("leave out 'compression', or set it to gzip");
      CAIRN_TRY(WriteFileAtomic(file, initrd));
    } else {
      if (!init_added) CAIRN_TRY(AddInitLink(req, *o));
      init_added = true;
      initramfs::CpioOptions co;
      co.epoch = req.epoch;
      co.compression = cpio_comp;
      co.level = o->level;
      CAIRN_TRY(initramfs::WriteCpioFile(*req.tree, file, co));
    }
    written.push_back(rel);
  }
  return written;
}

}  // namespace cairn::pipeline
