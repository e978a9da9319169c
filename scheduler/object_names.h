#pragma once
// The name and label syntax Kubernetes validates (apimachinery's validation package), as
// checks that return what is wrong ("" when the text is valid), for the object parsers.

#include <string>
#include <string_view>

namespace skiff::scheduler {

/// RFC 1123 label: at most 63 of a-z, 0-9 and '-', starting and ending alphanumeric
/// (container names, namespaces).
std::string check_dns1123_label(std::string_view s);
/// RFC 1123 subdomain: at most 253 characters, dot-separated RFC 1123 labels (Deployment and
/// HorizontalPodAutoscaler names, label key prefixes).
std::string check_dns1123_subdomain(std::string_view s);
/// RFC 1035 label: an RFC 1123 label that starts with a letter (Service names).
std::string check_dns1035_label(std::string_view s);
/// A label or annotation key: an optional subdomain prefix and '/', then a name of at most
/// 63 of [A-Za-z0-9-_.], starting and ending alphanumeric.
std::string check_qualified_name(std::string_view s);
/// A label value: empty, or at most 63 of [A-Za-z0-9-_.] starting and ending alphanumeric.
std::string check_label_value(std::string_view s);
/// A port name (IANA_SVC_NAME): at most 15 of a-z, 0-9 and '-', at least one letter, no
/// leading, trailing or doubled '-'.
std::string check_port_name(std::string_view s);
/// An environment variable name: [-._a-zA-Z][-._a-zA-Z0-9]*.
std::string check_env_var_name(std::string_view s);

}  // namespace skiff::scheduler
