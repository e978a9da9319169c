// Pod names (Kubernetes' names.SimpleNameGenerator and utilrand.String).

#include "scheduler/reconciler_names.h"

namespace skiff::scheduler {

namespace {

constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
constexpr size_t kMaxNameLength = 63;
constexpr size_t kMaxGeneratedBaseLength = kMaxNameLength - 5;
constexpr int kBitsPerChar = 5;
constexpr uint64_t kCharMask = (1U << kBitsPerChar) - 1;
constexpr int kCharsPerDraw = 63 / kBitsPerChar;

}  // namespace

std::string random_suffix(const RandomSource& random, size_t length) {
  std::string out;
  uint64_t bits = 0;
  int left = 0;
  while (out.size() < length) {
    if (left == 0) {
      bits = random();
      left = kCharsPerDraw;
    }
    const uint64_t index = bits & kCharMask;
    bits >>= kBitsPerChar;
    --left;
    if (index < kAlphabet.size()) out.push_back(kAlphabet[index]);
  }
  return out;
}

std::string pod_name(std::string_view deployment, std::string_view template_hash,
                     const RandomSource& random) {
  std::string base = std::string(deployment) + "-" + std::string(template_hash) + "-";
  if (base.size() > kMaxGeneratedBaseLength) base.resize(kMaxGeneratedBaseLength);
  return base + random_suffix(random);
}

std::string unique_pod_name(std::string_view deployment, std::string_view template_hash,
                            const RandomSource& random,
                            const std::function<bool(const std::string&)>& taken) {
  std::string name = pod_name(deployment, template_hash, random);
  for (int tries = 1; tries < 16 && taken(name); ++tries) name = pod_name(deployment, template_hash, random);
  return name;
}

}  // namespace skiff::scheduler
