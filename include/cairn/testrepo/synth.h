// Synthetic package sources for benchmarks: many small packages with
// dependency chains and seeded pseudo-random file trees, plus a few large ones.
//
// Names: `synth-0000` .. `synth-<N-1>` (at least 4 digits), `synth-large-00`
// .., and `synth-all`, a package without files that depends on all others,
// so an image of every generated package is `packages: [synth-all]`.
// Package i > 0 depends on package i-1 unless i is a multiple of
// `chain_length` (chains of that many packages; asking for synth-0009 pulls
// in synth-0000..0009 with the default 10), plus up to `max_depends` other
// lower-numbered packages picked by the seeded generator. Same options, same
// sources, byte for byte (the generator is splitmix64, not <random>, whose
// distributions differ between standard libraries).
//
//   auto pkgs = testrepo::GenerateSources({.count = 500, .payload_size = 64 << 10});
#pragma once

#include <cstdint>
#include <vector>

#include "cairn/testrepo/package_source.h"

namespace cairn::testrepo {

struct SynthOptions {
  uint64_t count = 0;                 ///< number of synth-NNNN packages
  uint64_t payload_size = 16 << 10;   ///< content bytes per small package, split over its files
  uint64_t max_files = 8;             ///< each small package has 1..max_files files
  uint64_t max_depends = 2;           ///< extra random dependencies per package, 0..max_depends
  uint64_t chain_length = 10;         ///< length of the synth-(i-1) dependency chains
  uint64_t large_count = 0;           ///< number of synth-large-NN packages
  uint64_t large_size = 32ull << 20;  ///< incompressible bytes in each large package
  uint64_t seed = 1;
};

/// The package sources described above, sorted by name. Empty when both
/// counts are 0 (then there is no synth-all either).
std::vector<PackageSource> GenerateSources(const SynthOptions& options);

}  // namespace cairn::testrepo
