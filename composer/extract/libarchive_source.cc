#include "extract/libarchive_source.h"

#include <cerrno>

#include <fmt/format.h>

namespace cairn::extract::internal {

std::string LibarchiveText(archive* a) {
  const char* s = archive_error_string(a);
  if (s != nullptr && *s != '\0') return s;
  return fmt::format("libarchive error {}", archive_errno(a));
}

la_ssize_t ReadFromSource(archive* a, void* client, const void** buf) {
  auto* state = static_cast<SourceState*>(client);
  auto chunk = state->source();
  if (!chunk.ok()) {
    archive_set_error(a, EIO, "%s", chunk.error().message().c_str());
    state->source_error = std::move(chunk).error();
    return -1;
  }
  *buf = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

}  // namespace cairn::extract::internal
