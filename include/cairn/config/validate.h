// Semantic checks on a loaded image declaration (after includes are merged).
//
// LoadImage() only checks each file's shape; Validate() checks that the
// merged result can be built: it names packages and a repository, accounts
// are unique and complete, run-as refers to something that will exist, and
// in-image paths are absolute and free of '..'. Each error points at the
// YAML node it is about (kConfig).
//
//   CAIRN_ASSIGN_OR_RETURN(auto img, config::LoadImage(path));
//   CAIRN_TRY(config::Validate(img));
#pragma once

#include "cairn/config/model.h"
#include "cairn/result.h"

namespace cairn::config {

/// Ok, or the first problem found (contents, accounts, entrypoint, paths, files, in that order),
/// then each layer of image.stack (ValidateLayer) and each board with its layers (ValidateBoard).
Status Validate(const Image& image);

/// A layer on its own: known archs, no self-requirement or self-conflict, package names,
/// accounts, paths and files (absolute, each file once), no empty services or cmdline fragments.
Status ValidateLayer(const Layer& layer);

/// A board on its own: an arch; bootloader type one of systemd-boot, grub-efi, uki,
/// u-boot-extlinux, rpi-firmware; a layout with table gpt or mbr and partitions whose role
/// (esp, boot, firmware, root, data), size and filesystem (vfat, ext4, squashfs, erofs, none)
/// are set, 'rest' only on the last, at most one ESP (vfat), A/B root slots a and b both or
/// neither; systemd-boot, grub-efi and uki need gpt and an ESP, rpi-firmware needs mbr;
/// device trees relative; qemu firmware ovmf, aavmf, none or an absolute path.
Status ValidateBoard(const Board& board);

}  // namespace cairn::config
