#include "common/error.h"

#include <cctype>
#include <cstring>

namespace skiff::common {

Error Error::from_errno(std::string_view context, int code) {
  std::string text = std::strerror(code);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  std::string message(context);
  message += ": ";
  message += text;
  return Error(std::move(message), code);
}

Error Error::context(std::string_view outer) const& {
  return Error(std::string(outer) + ": " + message_, code_);
}

Error Error::context(std::string_view outer) && {
  message_.insert(0, std::string(outer) + ": ");
  return std::move(*this);
}

}  // namespace skiff::common
