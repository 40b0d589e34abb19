// Reference grammar: distribution/reference's, with Docker's defaults.
#include "cairn/publish/reference.h"

#include <fmt/format.h>

#include <cctype>

namespace cairn::publish {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/// One path component: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'.
bool IsValidComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !IsLowerAlnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" || sep.find_first_not_of('-') == sep.npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

Status ValidateRepository(std::string_view repo, std::string_view text) {
  if (repo.size() > 255)
    return UsageError(fmt::format("repository name in '{}' is longer than 255 characters", text));
  size_t start = 0;
  while (true) {
    size_t slash = repo.find('/', start);
    std::string_view c = repo.substr(start, slash == repo.npos ? repo.npos : slash - start);
    if (!IsValidComponent(c)) {
      for (char ch : c)
        if (std::isupper(static_cast<unsigned char>(ch)))
          return UsageError(
              fmt::format("repository name '{}' in '{}' must be lowercase", repo, text));
      return UsageError(
          fmt::format("invalid repository name '{}' in '{}' (expected lowercase letters and digits "
                      "separated by '.', '_', '__', '-' or '/')",
                      repo, text));
    }
    if (slash == repo.npos) return {};
    start = slash + 1;
  }
}

/// host[:port]: letters, digits, '.', '-' (or a bracketed IPv6 address), port digits.
bool IsValidRegistry(std::string_view r) {
  std::string_view host = r, port;
  if (!r.empty() && r.front() == '[') {
    size_t close = r.find(']');
    if (close == r.npos) return false;
    host = r.substr(1, close - 1);
    std::string_view rest = r.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port = rest.substr(1);
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != host.npos)
      return false;
  } else {
    if (size_t colon = r.rfind(':'); colon != r.npos) {
      host = r.substr(0, colon);
      port = r.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty()) return false;
    for (char c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  if (port.size() > 5 || port.find_first_not_of("0123456789") != port.npos) return false;
  return true;
}

Status ValidateDigest(std::string_view digest, std::string_view text) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.substr(0, kPrefix.size()) != kPrefix)
    return UsageError(fmt::format(
        "unsupported digest '{}' in '{}' (expected sha256:<64 hex digits>)", digest, text));
  std::string_view hex = digest.substr(kPrefix.size());
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != hex.npos)
    return UsageError(fmt::format(
        "invalid digest '{}' in '{}' (expected sha256:<64 lowercase hex digits>)", digest, text));
  return {};
}

}  // namespace

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag.front())) return false;
  for (char c : tag)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

std::string Reference::ToString() const {
  std::string s = registry + "/" + repository;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::ApiHost() const {
  return registry == kDockerHub ? "registry-1.docker.io" : registry;
}

Result<Reference> ParseReference(std::string_view text) {
  if (text.empty()) return UsageError("empty image reference");
  Reference ref;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != rest.npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    CAIRN_TRY(ValidateDigest(ref.digest, text));
  }
  // The tag is after the last ':' that follows the last '/' (a registry's port comes before).
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != rest.npos && (last_slash == rest.npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!IsValidTag(ref.tag))
      return UsageError(fmt::format(
          "invalid tag '{}' in '{}' (expected up to 128 letters, digits, '_', '.' or '-', "
          "not starting with '.' or '-')",
          ref.tag, text));
  }
  size_t slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  bool names_registry = slash != rest.npos && (first.find_first_of(".:") != first.npos ||
                                               first == "localhost" || first.front() == '[');
  if (names_registry) {
    ref.registry = std::string(first);
    rest = rest.substr(slash + 1);
    if (!IsValidRegistry(ref.registry))
      return UsageError(fmt::format("invalid registry '{}' in '{}' (expected HOST or HOST:PORT)",
                                    ref.registry, text));
    if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io")
      ref.registry = kDockerHub;
  } else {
    ref.registry = kDockerHub;
  }
  ref.repository = std::string(rest);
  if (ref.repository.empty()) return UsageError(fmt::format("no repository name in '{}'", text));
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos)
    ref.repository = "library/" + ref.repository;
  CAIRN_TRY(ValidateRepository(ref.repository, text));
  return ref;
}

}  // namespace cairn::publish
