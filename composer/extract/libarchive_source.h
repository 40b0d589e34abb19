// Private to extract: what every streaming libarchive reader here shares. A
// reader's state starts with a SourceState (where its bytes come from, and
// the source's own error, which callers return instead of libarchive's vaguer
// text); ReadFromSource is the archive_read_open callback over it.
#pragma once

#include <archive.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/result.h"

namespace cairn::extract::internal {

struct SourceState {
  std::string name;
  std::function<Result<std::string_view>()> source;
  std::optional<Error> source_error;  ///< returned instead of libarchive's text
};

/// libarchive's error text, or its errno when it gives none (its gzip reader
/// reports a stream cut inside the trailer without any text).
std::string LibarchiveText(archive* a);

/// archive_read_open's read callback; `client` must be a SourceState*.
la_ssize_t ReadFromSource(archive* a, void* client, const void** buf);

}  // namespace cairn::extract::internal
