#include "scheduler/object_names.h"

namespace skiff::scheduler {

namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
  return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string too_long(size_t max) {
  return "must be no more than " + std::to_string(max) + " characters";
}

bool is_dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  for (char c : s)
    if (!lower_alnum(c) && c != '-') return false;
  return true;
}

}  // namespace

std::string check_dns1123_label(std::string_view s) {
  if (s.size() > 63) return too_long(63);
  if (!is_dns1123_label(s))
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
           "and must start and end with an alphanumeric character";
  return "";
}

std::string check_dns1123_subdomain(std::string_view s) {
  if (s.size() > 253) return too_long(253);
  bool ok = !s.empty();
  for (std::string_view rest = s; ok;) {
    size_t dot = rest.find('.');
    ok = is_dns1123_label(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (!ok)
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
           "'.', and must start and end with an alphanumeric character";
  return "";
}

std::string check_dns1035_label(std::string_view s) {
  if (s.size() > 63) return too_long(63);
  if (!is_dns1123_label(s) || !letter(s.front()))
    return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
           "alphabetic character, and end with an alphanumeric character";
  return "";
}

std::string check_label_value(std::string_view s) {
  if (s.empty()) return "";
  if (s.size() > 63) return too_long(63);
  bool ok = alnum(s.front()) && alnum(s.back());
  for (char c : s) ok = ok && (alnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok)
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
           "'.', and must start and end with an alphanumeric character";
  return "";
}

std::string check_qualified_name(std::string_view s) {
  std::string_view name = s;
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = s.substr(0, slash);
    if (prefix.empty()) return "prefix part must be non-empty";
    if (std::string e = check_dns1123_subdomain(prefix); !e.empty()) return "prefix part " + e;
    name = s.substr(slash + 1);
  }
  if (name.empty()) return "name part must be non-empty";
  if (name.size() > 63) return "name part " + too_long(63);
  bool ok = alnum(name.front()) && alnum(name.back());
  for (char c : name) ok = ok && (alnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok)
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
           "with an alphanumeric character";
  return "";
}

std::string check_port_name(std::string_view s) {
  if (s.size() > 15) return too_long(15);
  bool has_letter = false;
  for (char c : s) {
    if (!lower_alnum(c) && c != '-')
      return "must contain only alphanumeric characters (a-z, 0-9), and hyphens (-)";
    has_letter = has_letter || letter(c);
  }
  if (s.find("--") != std::string_view::npos) return "must not contain consecutive hyphens";
  if (!has_letter) return "must contain at least one letter (a-z)";
  if (s.front() == '-' || s.back() == '-') return "must not begin or end with a hyphen";
  return "";
}

std::string check_env_var_name(std::string_view s) {
  bool ok = !s.empty() && (letter(s.front()) || s.front() == '-' || s.front() == '.' || s.front() == '_');
  for (char c : s) ok = ok && (alnum(c) || c == '-' || c == '.' || c == '_');
  if (!ok)
    return "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
           "or '.', and must not start with a digit";
  return "";
}

}  // namespace skiff::scheduler
