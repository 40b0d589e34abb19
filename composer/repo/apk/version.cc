// apk-tools version tokenising, ordering and matching (src/version.c).
//
// A version is read as a stream of typed tokens; two versions are compared
// token by token while the token types agree, and where they first disagree
// the token types decide (see formats.md §1.7). The token type order below is
// the semantics: a token may only be followed by a token of a "later" type
// (with the exceptions the grammar allows), and at a disagreement the side
// whose next token is later sorts lower.
#include "cairn/apk/version.h"

#include <cstdint>

namespace cairn::apk {
namespace {

enum class Tok {
  kInitialDigit,
  kDigit,
  kLetter,
  kSuffix,
  kSuffixNo,
  kCommitHash,
  kRevisionNo,
  kEnd,
  kInvalid,
};

// Suffix ranks; kNone is the pivot between pre-release and post-release.
enum Suffix { kSufInvalid, kAlpha, kBeta, kPre, kRc, kSufNone, kCvs, kSvn, kGit, kHg, kP };

int SuffixRank(std::string_view s) {
  if (s == "alpha") return kAlpha;
  if (s == "beta") return kBeta;
  if (s == "pre") return kPre;
  if (s == "rc") return kRc;
  if (s == "cvs") return kCvs;
  if (s == "svn") return kSvn;
  if (s == "git") return kGit;
  if (s == "hg") return kHg;
  if (s == "p") return kP;
  return kSufInvalid;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

struct Token {
  Tok type = Tok::kInitialDigit;
  int suffix = kSufInvalid;
  uint64_t number = 0;
  std::string_view text;
};

// Reads a run of digits; an empty run makes the token invalid.
void ParseDigits(Token* t, std::string_view* s) {
  size_t n = 0;
  uint64_t v = 0;
  while (n < s->size() && IsDigit((*s)[n])) v = v * 10 + static_cast<uint64_t>((*s)[n++] - '0');
  t->number = v;
  t->text = s->substr(0, n);
  s->remove_prefix(n);
  if (n == 0) t->type = Tok::kInvalid;
}

void First(Token* t, std::string_view* s) {
  t->type = Tok::kInitialDigit;
  ParseDigits(t, s);
}

// Advances to the next token, checking that it may follow the current one.
void Next(Token* t, std::string_view* s) {
  if (s->empty()) {
    t->type = Tok::kEnd;
    return;
  }
  char c = s->front();
  if (IsLower(c)) {
    if (t->type > Tok::kDigit) { t->type = Tok::kInvalid; return; }
    t->text = s->substr(0, 1);
    t->type = Tok::kLetter;
    s->remove_prefix(1);
    return;
  }
  if (c == '.' || IsDigit(c)) {
    if (c == '.') {
      if (t->type > Tok::kDigit) { t->type = Tok::kInvalid; return; }
      s->remove_prefix(1);
    }
    if (t->type == Tok::kInitialDigit || t->type == Tok::kDigit) {
      t->type = Tok::kDigit;
    } else if (t->type == Tok::kSuffix) {
      t->type = Tok::kSuffixNo;
    } else {
      t->type = Tok::kInvalid;
      return;
    }
    ParseDigits(t, s);
    return;
  }
  if (c == '_') {
    if (t->type > Tok::kSuffixNo) { t->type = Tok::kInvalid; return; }
    s->remove_prefix(1);
    size_t n = 0;
    while (n < s->size() && IsLower((*s)[n])) ++n;
    t->text = s->substr(0, n);
    s->remove_prefix(n);
    t->suffix = SuffixRank(t->text);
    t->type = t->suffix == kSufInvalid ? Tok::kInvalid : Tok::kSuffix;
    return;
  }
  if (c == '~') {
    if (t->type >= Tok::kCommitHash) { t->type = Tok::kInvalid; return; }
    s->remove_prefix(1);
    size_t n = 0;
    while (n < s->size() && IsHex((*s)[n])) ++n;
    t->text = s->substr(0, n);
    s->remove_prefix(n);
    t->type = n == 0 ? Tok::kInvalid : Tok::kCommitHash;
    return;
  }
  if (c == '-') {
    if (t->type >= Tok::kRevisionNo || s->size() < 2 || (*s)[1] != 'r') {
      t->type = Tok::kInvalid;
      return;
    }
    s->remove_prefix(2);
    t->type = Tok::kRevisionNo;
    ParseDigits(t, s);
    return;
  }
  t->type = Tok::kInvalid;
}

int Sign(int r) { return r < 0 ? -1 : (r > 0 ? 1 : 0); }

// Byte-wise comparison, shorter first on a common prefix (apk_blob_sort).
int BlobSort(std::string_view a, std::string_view b) { return Sign(a.compare(b)); }

int CompareTokens(const Token& a, const Token& b) {
  uint64_t x = 0, y = 0;
  switch (a.type) {
    case Tok::kDigit:
      // A leading zero in either group makes it a string comparison, so that
      // 1.01 < 1.1 and 1.001 < 1.01 (Gentoo rule).
      if (a.text[0] == '0' || b.text[0] == '0') return BlobSort(a.text, b.text);
      [[fallthrough]];
    case Tok::kInitialDigit:
    case Tok::kSuffixNo:
    case Tok::kRevisionNo:
      x = a.number;
      y = b.number;
      break;
    case Tok::kLetter:
      x = static_cast<unsigned char>(a.text[0]);
      y = static_cast<unsigned char>(b.text[0]);
      break;
    case Tok::kSuffix:
      x = static_cast<uint64_t>(a.suffix);
      y = static_cast<uint64_t>(b.suffix);
      break;
    default:
      return BlobSort(a.text, b.text);
  }
  return x < y ? -1 : (x > y ? 1 : 0);
}

// <0, 0, >0; `fuzzy` makes `b` a prefix pattern (b ending early is a match).
int CompareFuzzy(std::string_view a, std::string_view b, bool fuzzy) {
  Token ta, tb;
  First(&ta, &a);
  First(&tb, &b);
  while (ta.type == tb.type && ta.type < Tok::kEnd) {
    int r = CompareTokens(ta, tb);
    if (r != 0) return r;
    Next(&ta, &a);
    Next(&tb, &b);
  }
  if (ta.type == tb.type) return 0;
  if (tb.type == Tok::kEnd && fuzzy) return 0;
  // Equal so far: the longer version is greater unless what follows is a
  // pre-release suffix.
  if (ta.type == Tok::kSuffix && ta.suffix < kSufNone) return -1;
  if (tb.type == Tok::kSuffix && tb.suffix < kSufNone) return 1;
  if (ta.type > tb.type) return -1;
  if (tb.type > ta.type) return 1;
  return 0;
}

}  // namespace

bool IsValidVersion(std::string_view version) {
  Token t;
  for (First(&t, &version); t.type < Tok::kEnd; Next(&t, &version)) {
  }
  return t.type == Tok::kEnd;
}

int CompareVersions(std::string_view a, std::string_view b) { return CompareFuzzy(a, b, false); }

bool VersionSatisfies(std::string_view version, VersionOp op, std::string_view constraint) {
  bool fuzzy = false;
  bool less = false, equal = false, greater = false;
  switch (op) {
    case VersionOp::kAny: return true;
    case VersionOp::kChecksum: return false;
    case VersionOp::kEqual: equal = true; break;
    case VersionOp::kLess: less = true; break;
    case VersionOp::kLessEq: less = equal = true; break;
    case VersionOp::kGreater: greater = true; break;
    case VersionOp::kGreaterEq: greater = equal = true; break;
    case VersionOp::kFuzzy: fuzzy = equal = true; break;
    case VersionOp::kGreaterFuzzy: fuzzy = greater = equal = true; break;
    case VersionOp::kLessFuzzy: fuzzy = less = equal = true; break;
  }
  int r = CompareFuzzy(version, constraint, fuzzy);
  return (r < 0 && less) || (r == 0 && equal) || (r > 0 && greater);
}

}  // namespace cairn::apk
