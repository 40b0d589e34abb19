// Declared accounts (apko `accounts:`) applied to the tree's /etc/passwd,
// /etc/group and /etc/shadow without running adduser/addgroup: entries that
// packages already wrote are kept, a declared name replaces an existing line,
// new ones are appended, and home directories are created for new users.
#pragma once

#include "cairn/config/model.h"
#include "cairn/rootfs/tree.h"

namespace cairn::compose {

Status ApplyAccounts(const config::Accounts& accounts, rootfs::Tree& tree, int64_t epoch);

}  // namespace cairn::compose
