#pragma once
// A benchmark's command line (bench/README.md): each flag and positional argument is
// registered with the variable it sets, whose value at registration is the default shown in
// the usage. Parsing is strict: `--pods abc`, `--pods 0`, an unknown flag, a missing value or
// a stray argument prints one line naming what was wrong,
//   service-bench: --pods: expected a positive integer, got "abc"
// then the usage, on stderr, and the benchmark exits with 2. --help prints the usage on
// stdout and exits with 0.
//
//   Args args("service-bench");
//   args.integer("--pods", o.pods, "N", "pods behind the Service").skiffd_dirs(o.bin, o.source);
//   if (auto status = args.parse(argc, argv)) return *status;

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace skiff::bench {

class Args {
 public:
  explicit Args(std::string program) : program_(std::move(program)) {}

  /// `--name N` (`metavar` in the usage), or the next positional argument `name` (no leading
  /// "--"): an integer of at least `min`, by default a count (positive).
  Args& integer(const std::string& name, int& target, const std::string& metavar, const std::string& help,
                int min = 1);
  /// `--name VALUE` (`metavar` in the usage), or the next positional argument `name`.
  Args& text(const std::string& name, std::string& target, const std::string& metavar,
             const std::string& help);
  /// `--name VALUE`, VALUE one of `choices`.
  Args& choice(const std::string& name, std::string& target, const std::vector<std::string>& choices,
               const std::string& help);
  /// `--name` alone: sets `target` to `value`.
  Args& flag(const std::string& name, bool& target, const std::string& help, bool value = true);
  /// Every positional argument after the registered ones, appended to `target`.
  Args& rest(const std::string& metavar, std::vector<std::string>& target, const std::string& help);
  /// Makes the positional argument registered last required.
  Args& required();

  /// The flags of the benchmarks that drive skiffd: `--bin DIR`, where skiffd, skiff-monitor
  /// and skiff-runtime are (or the skiffd binary there; `bin` becomes that directory,
  /// absolute, by default this benchmark's own), and `--source DIR`, the source tree
  /// (scripts/make-busybox-image).
  Args& skiffd_dirs(std::string& bin, std::string& source);

  /// Parses argv[1..] into the registered variables. nullopt: go on; otherwise the status to
  /// exit with, the usage or the error printed: 0 after --help, 2 after an error.
  std::optional<int> parse(int argc, const char* const* argv);
  /// For checks after parse(): prints "<program>: <message>" and the usage to stderr, returns 2.
  int fail(const std::string& message) const;
  std::string usage() const;

 private:
  struct Entry {
    std::string name;                                   ///< "--pods", or a positional argument's name
    std::string metavar;                                ///< "N", "DIR"; empty for a flag that takes no value
    std::string help;                                   ///< with the default appended
    std::string expected;                               ///< what a value must be: "a positive integer"
    std::function<bool(const std::string& value)> set;  ///< false: not what was expected
    bool positional = false;
    bool required = false;
    bool seen = false;
  };

  Args& add(Entry entry);
  /// Sets `e` from `value`, or prints the error: nullopt on success, else the exit status.
  std::optional<int> set(Entry& e, const std::string& value) const;

  std::string program_;
  std::vector<Entry> entries_{};
  std::vector<std::string>* rest_ = nullptr;
  std::string rest_metavar_{}, rest_help_{};
};

}  // namespace skiff::bench
