// The sh reader behind ScanMaintainerScript: lexer, parser, expansion.
//
// The lexer keeps $-expansions as parts of words instead of expanding them,
// so the classifier can decide later which ones it can resolve; here-document
// bodies are skipped at the newline that follows their operator, as sh reads
// them.
#include "effects/shell_words.h"

#include <algorithm>

namespace cairn::effects::internal::sh {
namespace {

void AppendText(Word& w, std::string_view text, bool quoted) {
  if (text.empty()) return;
  if (!w.parts.empty() && w.parts.back().kind == Part::Kind::kText &&
      w.parts.back().quoted == quoted) {
    w.parts.back().text += text;
    return;
  }
  w.parts.push_back({Part::Kind::kText, std::string(text), "", quoted});
}

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsName(std::string_view s) {
  return !s.empty() && IsNameStart(s[0]) && std::all_of(s.begin(), s.end(), IsNameChar);
}

// ---------------------------------------------------------------------------
// Lexer

enum class TokKind { kWord, kOp, kNewline };

struct Token {
  TokKind kind = TokKind::kWord;
  Word word;
  std::string op;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::vector<Token> Run() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
      } else if (c == '\\' && Peek(1) == '\n') {
        i_ += 2;
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (c == '\n') {
        ++i_;
        out_.push_back({TokKind::kNewline, {}, ""});
        SkipHeredocs();
      } else if (IsOpStart(c)) {
        LexOperator();
      } else if (IsIoNumber()) {
        while (s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      } else {
        out_.push_back({TokKind::kWord, LexWord(), ""});
      }
    }
    return std::move(out_);
  }

  // Lexes a whole string as one word (the inner text of ${X:+word}).
  static Word WordOf(std::string_view text) {
    Lexer l(text);
    return l.LexWord(/*stop_at_operators=*/false);
  }

 private:
  struct Heredoc {
    std::string delimiter;
    bool strip_tabs = false;
  };

  char Peek(size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  static bool IsOpStart(char c) {
    return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>';
  }
  bool IsIoNumber() const {
    size_t j = i_;
    while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9') ++j;
    return j > i_ && j < s_.size() && (s_[j] == '<' || s_[j] == '>');
  }

  void LexOperator() {
    static constexpr std::string_view kOps[] = {";;&", "<<-", ";;", ";&", "&&", "||", "|&",
                                                "&>",  "<<",  "<&", "<>", ">>", ">&", ">|",
                                                ";",   "&",   "|",  "(",  ")",  "<",  ">"};
    std::string_view op;
    for (std::string_view candidate : kOps) {
      if (s_.substr(i_, candidate.size()) == candidate) {
        op = candidate;
        break;
      }
    }
    i_ += op.size();
    if (op[0] == '<' || op[0] == '>' || op == "&>") {
      // A redirection: its target is not an argument. A here-document's body
      // starts after the current line and is skipped there.
      while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
      Word target = LexWord();
      if (op == "<<" || op == "<<-") {
        std::string delim;
        for (const Part& p : target.parts) delim += p.text;
        heredocs_.push_back({delim, op == "<<-"});
      }
      return;
    }
    if (op == ";;&" || op == ";&") op = ";;";
    if (op == "|&") op = "|";
    out_.push_back({TokKind::kOp, {}, std::string(op)});
  }

  void SkipHeredocs() {
    for (const Heredoc& h : heredocs_) {
      while (i_ < s_.size()) {
        size_t end = s_.find('\n', i_);
        if (end == std::string_view::npos) end = s_.size();
        std::string_view line = s_.substr(i_, end - i_);
        i_ = std::min(end + 1, s_.size());
        if (h.strip_tabs) {
          while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line == h.delimiter) break;
      }
    }
    heredocs_.clear();
  }

  // Index of the character closing the construct that opens at `from`
  // (`open` is at s_[from]); quotes and escapes inside are skipped.
  size_t FindClosing(size_t from, char open, char close) const {
    int depth = 0;
    size_t j = from;
    while (j < s_.size()) {
      char c = s_[j];
      if (c == '\\') {
        j += 2;
        continue;
      }
      if (c == '\'' && open != '`') {
        size_t e = s_.find('\'', j + 1);
        j = e == std::string_view::npos ? s_.size() : e + 1;
        continue;
      }
      if (c == '"' && open != '`') {
        ++j;
        while (j < s_.size() && s_[j] != '"') j += s_[j] == '\\' ? 2 : 1;
        ++j;
        continue;
      }
      if (c == close && (depth == 1 || open == close) && j != from) return j;
      if (c == open && open != close) ++depth;
      if (c == close && open != close) --depth;
      ++j;
    }
    return s_.size();
  }

  void LexDollar(Word& w, bool quoted) {
    char n = Peek(1);
    if (n == '{' || n == '(') {
      size_t end = FindClosing(i_ + 1, n, n == '{' ? '}' : ')');
      std::string raw(s_.substr(i_, std::min(end + 1, s_.size()) - i_));
      i_ = std::min(end + 1, s_.size());
      std::string inner = raw.size() >= 3 ? raw.substr(2, raw.size() - 3) : "";
      if (n == '{' && IsName(inner)) {
        w.parts.push_back({Part::Kind::kParam, raw, inner, quoted});
      } else {
        w.parts.push_back({Part::Kind::kOther, raw, "", quoted});
      }
      return;
    }
    if (IsNameStart(n)) {
      size_t j = i_ + 1;
      while (j < s_.size() && IsNameChar(s_[j])) ++j;
      std::string raw(s_.substr(i_, j - i_));
      w.parts.push_back({Part::Kind::kParam, raw, raw.substr(1), quoted});
      i_ = j;
      return;
    }
    if ((n >= '0' && n <= '9') || std::string_view("@*#?$!-").find(n) != std::string_view::npos) {
      w.parts.push_back({Part::Kind::kOther, std::string(s_.substr(i_, 2)), "", quoted});
      i_ += 2;
      return;
    }
    AppendText(w, "$", quoted);
    ++i_;
  }

  void LexBacktick(Word& w, bool quoted) {
    size_t end = FindClosing(i_, '`', '`');
    w.parts.push_back({Part::Kind::kOther,
                       std::string(s_.substr(i_, std::min(end + 1, s_.size()) - i_)), "", quoted});
    i_ = std::min(end + 1, s_.size());
  }

  Word LexWord(bool stop_at_operators = true) {
    Word w;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (stop_at_operators && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || IsOpStart(c)))
        break;
      if (c == '\\') {
        if (Peek(1) == '\n') {
          i_ += 2;
          continue;
        }
        w.quoted = true;
        if (i_ + 1 < s_.size()) AppendText(w, s_.substr(i_ + 1, 1), true);
        i_ += 2;
      } else if (c == '\'') {
        w.quoted = true;
        size_t end = s_.find('\'', i_ + 1);
        if (end == std::string_view::npos) end = s_.size();
        AppendText(w, s_.substr(i_ + 1, end - i_ - 1), true);
        i_ = std::min(end + 1, s_.size());
      } else if (c == '"') {
        w.quoted = true;
        ++i_;
        LexDoubleQuoted(w);
      } else if (c == '$') {
        LexDollar(w, false);
      } else if (c == '`') {
        LexBacktick(w, false);
      } else {
        AppendText(w, s_.substr(i_, 1), false);
        ++i_;
      }
    }
    return w;
  }

  void LexDoubleQuoted(Word& w) {
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_];
      if (c == '\\' && std::string_view("$`\"\\\n").find(Peek(1)) != std::string_view::npos &&
          Peek(1) != '\0') {
        if (Peek(1) != '\n') AppendText(w, s_.substr(i_ + 1, 1), true);
        i_ += 2;
      } else if (c == '$') {
        LexDollar(w, true);
      } else if (c == '`') {
        LexBacktick(w, true);
      } else {
        AppendText(w, s_.substr(i_, 1), true);
        ++i_;
      }
    }
    ++i_;  // the closing quote
  }

  std::string_view s_;
  size_t i_ = 0;
  std::vector<Token> out_;
  std::vector<Heredoc> heredocs_;
};

// ---------------------------------------------------------------------------
// Parser

// "NAME=value" split into name and value parts, or nullopt.
std::optional<std::pair<std::string, Word>> SplitAssignment(const Word& w) {
  if (w.parts.empty() || w.parts[0].kind != Part::Kind::kText || w.parts[0].quoted)
    return std::nullopt;
  const std::string& first = w.parts[0].text;
  size_t eq = first.find('=');
  if (eq == std::string::npos || !IsName(std::string_view(first).substr(0, eq)))
    return std::nullopt;
  Word value;
  value.quoted = w.quoted;
  AppendText(value, first.substr(eq + 1), false);
  value.parts.insert(value.parts.end(), w.parts.begin() + 1, w.parts.end());
  return std::make_pair(first.substr(0, eq), std::move(value));
}

Script ParseTokens(const std::vector<Token>& tokens) {
  enum class Mode { kCommand, kCaseWord, kCasePattern, kForHeader };
  struct Frame {
    enum class Kind { kIf, kLoop, kCase } kind;
    bool condition = false;
  };
  Script out;
  std::vector<Frame> frames;
  Mode mode = Mode::kCommand;
  Command cur;
  bool after_terminator = false;  // kForHeader: "do" counts only after ';' or newline
  bool expect_function_name = false;
  bool for_variable = false;  // the next word is a for loop's variable

  auto finish = [&] {
    if (!cur.words.empty()) out.commands.push_back(std::move(cur));
    cur = {};
  };
  auto never_literal = [&](const std::string& name) {
    // Two entries make a name non-literal (see LiteralVariables).
    out.assignments[name].resize(2);
  };

  for (size_t t = 0; t < tokens.size(); ++t) {
    const Token& tok = tokens[t];
    std::optional<std::string> bare =
        tok.kind == TokKind::kWord ? tok.word.Bare() : std::optional<std::string>();
    switch (mode) {
      case Mode::kCaseWord:
        if (bare == "in") mode = Mode::kCasePattern;
        continue;
      case Mode::kCasePattern:
        if (bare == "esac") {
          if (!frames.empty() && frames.back().kind == Frame::Kind::kCase) frames.pop_back();
          mode = Mode::kCommand;
        } else if (tok.kind == TokKind::kOp && tok.op == ")") {
          mode = Mode::kCommand;
        }
        continue;
      case Mode::kForHeader:
        if (for_variable && bare && IsName(*bare)) never_literal(*bare);
        for_variable = false;
        if (bare == "do" && after_terminator) {
          frames.push_back({Frame::Kind::kLoop, false});
          mode = Mode::kCommand;
        }
        after_terminator =
            tok.kind == TokKind::kNewline || (tok.kind == TokKind::kOp && tok.op == ";");
        continue;
      case Mode::kCommand:
        break;
    }

    if (tok.kind == TokKind::kNewline) {
      finish();
      continue;
    }
    if (tok.kind == TokKind::kOp) {
      if (tok.op == "(" && cur.words.size() == 1 && t + 1 < tokens.size() &&
          tokens[t + 1].kind == TokKind::kOp && tokens[t + 1].op == ")") {
        if (auto name = cur.words[0].Bare()) out.functions.insert(*name);
        cur = {};
        ++t;
        continue;
      }
      finish();
      if (tok.op == ";;" && !frames.empty() && frames.back().kind == Frame::Kind::kCase)
        mode = Mode::kCasePattern;
      continue;
    }

    // A word.
    if (expect_function_name) {
      expect_function_name = false;
      if (bare) out.functions.insert(*bare);
      if (t + 2 < tokens.size() && tokens[t + 1].kind == TokKind::kOp && tokens[t + 1].op == "(" &&
          tokens[t + 2].kind == TokKind::kOp && tokens[t + 2].op == ")")
        t += 2;
      continue;
    }
    if (cur.words.empty()) {
      if (bare == "if" || bare == "while" || bare == "until") {
        frames.push_back({bare == "if" ? Frame::Kind::kIf : Frame::Kind::kLoop, true});
        continue;
      }
      if (bare == "elif") {
        if (!frames.empty()) frames.back().condition = true;
        continue;
      }
      if (bare == "then" || bare == "do" || bare == "else") {
        if (!frames.empty()) frames.back().condition = false;
        continue;
      }
      if (bare == "fi" || bare == "done" || bare == "esac") {
        if (!frames.empty()) frames.pop_back();
        continue;
      }
      if (bare == "case") {
        frames.push_back({Frame::Kind::kCase, false});
        mode = Mode::kCaseWord;
        continue;
      }
      if (bare == "for") {
        mode = Mode::kForHeader;
        after_terminator = false;
        for_variable = true;
        continue;
      }
      if (bare == "function") {
        expect_function_name = true;
        continue;
      }
      if (bare == "{" || bare == "}" || bare == "!") continue;
      if (auto assignment = SplitAssignment(tok.word)) {
        out.assignments[assignment->first].push_back(std::move(assignment->second));
        continue;
      }
      cur.in_condition = !frames.empty() && frames.back().condition;
    }
    cur.words.push_back(tok.word);
  }
  finish();

  // Names set by `local`/`export`/`readonly NAME=...` or by `read NAME`.
  for (const Command& c : out.commands) {
    auto head = c.words[0].Bare();
    if (head == "local" || head == "export" || head == "readonly" || head == "declare") {
      for (size_t i = 1; i < c.words.size(); ++i) {
        if (auto a = SplitAssignment(c.words[i]))
          out.assignments[a->first].push_back(std::move(a->second));
        else if (auto name = c.words[i].Bare(); name && IsName(*name))
          never_literal(*name);  // `local x` without a value: set elsewhere
      }
    } else if (head == "read" || head == "getopts") {
      for (size_t i = 1; i < c.words.size(); ++i)
        if (auto name = c.words[i].Bare(); name && IsName(*name)) never_literal(*name);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Expansion

// ${NAME:+word}, ${NAME:-word}, ${NAME+word}, ${NAME-word} with NAME known.
std::optional<std::string> ExpandOther(const Part& p, const Vars& vars) {
  const std::string& raw = p.text;
  if (raw.size() < 4 || raw.compare(0, 2, "${") != 0 || raw.back() != '}') return std::nullopt;
  std::string_view inner = std::string_view(raw).substr(2, raw.size() - 3);
  size_t n = 0;
  while (n < inner.size() && IsNameChar(inner[n])) ++n;
  std::string_view name = inner.substr(0, n);
  std::string_view rest = inner.substr(n);
  auto var = vars.find(name);
  if (!IsName(name) || var == vars.end()) return std::nullopt;
  bool colon = !rest.empty() && rest[0] == ':';
  if (colon) rest.remove_prefix(1);
  if (rest.empty() || (rest[0] != '+' && rest[0] != '-')) return std::nullopt;
  // Every known variable is set; with ':' an empty value counts as unset.
  bool set = !colon || !var->second.empty();
  bool use_word = rest[0] == '+' ? set : !set;
  if (!use_word) return rest[0] == '+' ? std::string() : var->second;
  return ExpandWord(Lexer::WordOf(rest.substr(1)), vars);
}

}  // namespace

std::string Word::Display() const {
  std::string out;
  for (const Part& p : parts) out += p.text;
  return out;
}

std::optional<std::string> Word::Bare() const {
  if (quoted) return std::nullopt;
  std::string out;
  for (const Part& p : parts) {
    if (p.kind != Part::Kind::kText) return std::nullopt;
    out += p.text;
  }
  return out;
}

Script Parse(std::string_view text) { return ParseTokens(Lexer(text).Run()); }

std::optional<std::string> ExpandWord(const Word& w, const Vars& vars) {
  std::string out;
  for (const Part& p : w.parts) {
    switch (p.kind) {
      case Part::Kind::kText:
        out += p.text;
        break;
      case Part::Kind::kParam: {
        auto it = vars.find(p.name);
        if (it == vars.end()) return std::nullopt;
        // Unquoted, a value with blanks would split into several words.
        if (!p.quoted && it->second.find_first_of(" \t\n") != std::string::npos)
          return std::nullopt;
        out += it->second;
        break;
      }
      case Part::Kind::kOther: {
        auto v = ExpandOther(p, vars);
        if (!v || (!p.quoted && v->find_first_of(" \t\n") != std::string::npos))
          return std::nullopt;
        out += *v;
        break;
      }
    }
  }
  return out;
}

std::optional<std::vector<std::string>> Literal(const std::vector<Word>& words, size_t from,
                                                const Vars& vars) {
  std::vector<std::string> out;
  for (size_t i = from; i < words.size(); ++i) {
    auto v = ExpandWord(words[i], vars);
    if (!v) return std::nullopt;
    if (v->empty() && !words[i].quoted) continue;
    out.push_back(std::move(*v));
  }
  return out;
}

std::vector<std::string> BestEffort(const std::vector<Word>& words, size_t from, const Vars& vars) {
  std::vector<std::string> out;
  for (size_t i = from; i < words.size(); ++i) {
    auto v = ExpandWord(words[i], vars);
    std::string s = v ? *v : words[i].Display();
    if (s.empty() && !words[i].quoted) continue;
    out.push_back(std::move(s));
  }
  return out;
}

Vars LiteralVariables(const Script& parsed) {
  Vars vars = {{"DPKG_ROOT", ""}};
  for (const auto& [name, values] : parsed.assignments) {
    if (name == "DPKG_ROOT" || values.size() != 1) continue;
    if (auto v = ExpandWord(values[0], {{"DPKG_ROOT", ""}})) vars[name] = *v;
  }
  return vars;
}

}  // namespace cairn::effects::internal::sh
