// The inspect verb: what a disk image holds (table, filesystems, boot
// entries, OS and packages), read through the libguestfs appliance.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cairn/disk/inspect.h"
#include "cli/verbs.h"

namespace cairn::cli {

Status RunInspect(const Invocation& inv, Reporter& reporter) {
  CAIRN_ASSIGN_OR_RETURN(disk::DiskReport report,
                         disk::InspectDisk(inv.args.at(0), {.reporter = &reporter}));
  const std::string out =
      inv.has("json") ? disk::ReportJson(report).dump(2) + "\n" : disk::FormatReport(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return {};
}

}  // namespace cairn::cli
