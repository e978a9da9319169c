#include "runtime/seccomp_cache.h"

#include <seccomp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/files.h"

namespace skiff::runtime {

using common::Result;

namespace {

constexpr char kMagic[8] = {'S', 'K', 'S', 'C', 'M', 'P', '1', '\n'};

std::string cache_key(const Seccomp& s) {
  std::string key = seccomp_to_json(s).dump();
  const scmp_version* v = seccomp_version();
  key += "\nlibseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->micro);
  struct stat st {};
  if (::stat("/proc/self/exe", &st) == 0) {
    key += "\nruntime " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
  }
  return key;
}

std::string file_name(const std::string& key) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a: a name, not a check (the key is)
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

template <class T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
bool take(std::string_view& in, T& value) {
  if (in.size() < sizeof value) return false;
  std::memcpy(&value, in.data(), sizeof value);
  in.remove_prefix(sizeof value);
  return true;
}

std::string encode(const std::string& key, const CompiledSeccomp& c) {
  std::string out(kMagic, sizeof kMagic);
  put(out, static_cast<uint32_t>(key.size()));
  out += key;
  put(out, static_cast<uint32_t>(c.flags));
  put(out, static_cast<uint8_t>(c.needs_listener));
  put(out, static_cast<uint32_t>(c.program.size()));
  out.append(reinterpret_cast<const char*>(c.program.data()), c.program.size() * sizeof(sock_filter));
  return out;
}

bool decode(std::string_view in, const std::string& key, CompiledSeccomp& c) {
  if (in.size() < sizeof kMagic || std::memcmp(in.data(), kMagic, sizeof kMagic) != 0) return false;
  in.remove_prefix(sizeof kMagic);
  uint32_t key_size = 0, flags = 0, count = 0;
  uint8_t listener = 0;
  if (!take(in, key_size) || in.size() < key_size || in.substr(0, key_size) != key) return false;
  in.remove_prefix(key_size);
  if (!take(in, flags) || !take(in, listener) || !take(in, count)) return false;
  if (count == 0 || count > BPF_MAXINSNS || in.size() != count * sizeof(sock_filter)) return false;
  c.flags = flags;
  c.needs_listener = listener != 0;
  c.program.resize(count);
  std::memcpy(c.program.data(), in.data(), in.size());
  return true;
}

}  // namespace

Result<CompiledSeccomp> compile_seccomp_cached(const Seccomp& s, const std::string& root) {
  // Validation is not cached: its errors name the config's fields.
  if (auto st = validate_seccomp(s); !st) return std::move(st).error();
  std::string dir = root + "/@cache/seccomp";
  std::string key = cache_key(s);
  std::string path = dir + "/" + file_name(key);
  CompiledSeccomp cached;
  if (auto text = common::read_file(path); text.ok() && decode(*text, key, cached)) return cached;
  auto compiled = compile_seccomp(s);
  if (!compiled) return compiled;
  (void)::mkdir((root + "/@cache").c_str(), 0700);
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST)
    (void)common::write_file_atomic(path, encode(key, *compiled), 0600, common::Durability::UntilReboot);
  return compiled;
}

}  // namespace skiff::runtime
