// Byte counts as people read them in messages: "64 MiB", "1.5 GiB",
// "100 bytes". Binary units, one decimal only when the value is not whole.
//
//   reporter.Info(fmt::format("pushed {}", cairn::FormatSize(blob.size)));
#pragma once

#include <cstdint>
#include <string>

namespace cairn {

/// "100 bytes", "512 KiB", "1.5 MiB", "64 GiB", "2 TiB".
std::string FormatSize(uint64_t bytes);

}  // namespace cairn
