// ByteSink: where a streaming writer sends its output, one piece at a time.
//
// Writers (oci::WriteTarStream, initramfs::WriteCpio) call the sink with
// consecutive pieces of their stream; the sink hashes, compresses, writes a
// file or feeds a child process (RunPipeProcess). An error from the sink
// aborts the writer, which returns that error.
//
//   cairn::ByteSink sink = [&](const char* p, size_t n) {
//     out.append(p, n);
//     return cairn::Status();
//   };
#pragma once

#include <cstddef>
#include <functional>

#include "cairn/result.h"

namespace cairn {

/// Receives consecutive pieces of a stream; an error aborts the producer.
using ByteSink = std::function<Status(const char* data, size_t size)>;

}  // namespace cairn
