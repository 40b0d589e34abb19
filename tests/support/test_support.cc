#include "support/test_support.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

namespace cairn::testing {
namespace fs = std::filesystem;

fs::path SharedFixtures() { return fs::path(CAIRN_SHARED_FIXTURES); }
fs::path TestData() { return fs::path(CAIRN_TEST_DATA); }

ScratchDir::ScratchDir(const std::string& name, bool outside_project) {
  fs::path base = outside_project ? fs::temp_directory_path() / "cairn-test-scratch"
                                  : fs::path(CAIRN_BINARY_DIR) / "test-scratch";
  fs::create_directories(base);
  std::string templ = (base / (name + ".XXXXXX")).string();
  if (!::mkdtemp(templ.data())) std::abort();
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  if (std::getenv("CAIRN_KEEP_SCRATCH")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string Tail(const std::string& text, size_t lines) {
  size_t start = text.size();
  if (start > 0 && text.back() == '\n') --start;
  size_t kept = 0;
  while (start > 0 && kept < lines) {
    start = text.rfind('\n', start - 1);
    if (start == std::string::npos) return text;
    ++kept;
  }
  if (kept < lines) return text;
  size_t before = static_cast<size_t>(std::count(text.begin(), text.begin() + start, '\n')) + 1;
  return "[" + std::to_string(before) + " earlier lines]\n" + text.substr(start + 1);
}

static std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const fs::path& cwd) {
  CommandResult result;
  char out_tmpl[] = "/tmp/cairn-test-out.XXXXXX";
  char err_tmpl[] = "/tmp/cairn-test-err.XXXXXX";
  int out_fd = ::mkostemp(out_tmpl, O_CLOEXEC);
  int err_fd = ::mkostemp(err_tmpl, O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    // Nothing but stdin/stdout/stderr reaches the command (dash, for one,
    // refuses descriptors above 9 that apt would hand it).
    ::close_range(3, ~0U, 0);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::close(out_fd);
  ::close(err_fd);
  result.out = Slurp(out_tmpl);
  result.err = Slurp(err_tmpl);
  ::unlink(out_tmpl);
  ::unlink(err_tmpl);
  return result;
}

}  // namespace cairn::testing
