// Tiny static ELF64 executables that print a message and exit 0, for the
// demo repository's architecture-specific packages.
//
// The programs are hand-assembled (no cross toolchain is needed): one ELF
// header, one PT_LOAD program header mapping the whole file read+execute, a
// few instructions doing write(1, msg, len) and exit(0), then the message.
//
//   CAIRN_ASSIGN_OR_RETURN(std::string elf, testrepo::MakeHelloElf("aarch64", "hi\n"));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn::testrepo {

/// The apk architectures MakeHelloElf can emit code for ("x86_64", "aarch64").
const std::vector<std::string>& HelloElfArchs();

/// A static Linux ELF64 executable for `arch` that writes `message` to stdout
/// and exits 0. kUsage for an architecture without a code generator; the
/// message may be at most 65535 bytes.
Result<std::string> MakeHelloElf(std::string_view arch, std::string_view message);

}  // namespace cairn::testrepo
