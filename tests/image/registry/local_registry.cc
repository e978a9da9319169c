#include "tests/image/registry/local_registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace skiff::testing {

namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

bool answers_http(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char request[] = "GET /v2/ HTTP/1.0\r\n\r\n";
    if (::write(fd, request, sizeof request - 1) == static_cast<ssize_t>(sizeof request - 1)) {
      char buf[16] = {};
      ok = ::read(fd, buf, sizeof buf) > 5 && std::string(buf, 5) == "HTTP/";
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  auto args = c_argv(argv);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ToolResult result;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

LocalRegistry::LocalRegistry(const std::string& dir, const std::string& user, const std::string& password)
    : dir_(dir), port_(free_loopback_port()) {
  std::ostringstream config;
  config << "version: 0.1\n"
         << "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
         << "storage:\n  filesystem:\n    rootdirectory: " << dir
         << "/storage\n  delete:\n    enabled: true\n"
         << "http:\n  addr: 127.0.0.1:" << port_ << "\n  secret: skiff-test\n";
  if (!user.empty()) {
    ToolResult htpasswd = run_tool({"htpasswd", "-Bbn", user, password});
    if (htpasswd.exit_code != 0) throw std::runtime_error("htpasswd: " + htpasswd.output);
    std::ofstream(dir + "/htpasswd") << htpasswd.output;
    config << "auth:\n  htpasswd:\n    realm: skiff-test\n    path: " << dir << "/htpasswd\n";
  }
  std::ofstream(dir + "/config.yml") << config.str();

  std::string log_path = dir + "/registry.log";
  std::string config_path = dir + "/config.yml";
  std::vector<std::string> argv = {"docker-registry", "serve", config_path};
  auto args = c_argv(argv);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Dies with the test process even if it crashes before the destructor runs.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!answers_http(port_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("docker-registry exited: " + log());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("docker-registry did not answer on port " + std::to_string(port_) + ": " +
                               log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

LocalRegistry::~LocalRegistry() {
  stop();
}

void LocalRegistry::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string LocalRegistry::log() const {
  std::ifstream in(dir_ + "/registry.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace skiff::testing
