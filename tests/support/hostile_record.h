// RecordHostile: what a [hostile] test case saw cairn do, for the generated
// table docs/hostile-inputs.md (tools/hostile-table.sh).
//
// When $CAIRN_HOSTILE_REPORT names a file, each call appends one JSON line
// {"category","case","outcome","test"} to it (the test is Catch2's current
// test case name); otherwise the call does nothing. Record the rendered error
// cairn produced, so the table shows real messages, never a paraphrase:
//   RecordHostile("package archives", "'..' in a path", Outcome(status));
#pragma once

#include <string>

#include "cairn/result.h"

namespace cairn::testing {

/// Appends one line to $CAIRN_HOSTILE_REPORT (if set) for the current test case.
void RecordHostile(const std::string& category, const std::string& hostile_case,
                   const std::string& outcome);

/// "refused (integrity): outer context: message (hint: ...)" for an error.
std::string OutcomeOf(const Error& error);
/// OutcomeOf the error, or "accepted": the usual `outcome` of RecordHostile.
template <typename T>
std::string Outcome(const Result<T>& result) {
  return result.ok() ? "accepted" : OutcomeOf(result.error());
}

}  // namespace cairn::testing
