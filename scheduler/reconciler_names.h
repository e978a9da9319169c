#pragma once
// Pod names for a deployment's replicas, as Kubernetes' ReplicaSet controller generates them:
// generateName "<deployment>-<template hash>-" (cut to 58 characters) plus 5 random characters
// from the alphabet without vowels (so no words appear by accident). The randomness is
// injected, so tests and replays name pods deterministically.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace skiff::scheduler {

/// Uniform 64-bit random numbers (the daemon passes a seeded engine, tests a fixed sequence).
using RandomSource = std::function<uint64_t()>;

/// The 5 characters: each takes 5 bits of a random number, values past the 27-letter
/// alphabet are skipped (utilrand.String's method, no modulo bias).
std::string random_suffix(const RandomSource& random, size_t length = 5);

/// "<deployment>-<template hash>-<5 chars>", at most 63 characters.
std::string pod_name(std::string_view deployment, std::string_view template_hash, const RandomSource& random);

/// pod_name, drawn again while `taken` says the name exists (up to 16 tries, as the API
/// server's generateName retries; then the last name, and creating the pod fails as a conflict).
std::string unique_pod_name(std::string_view deployment, std::string_view template_hash,
                            const RandomSource& random, const std::function<bool(const std::string&)>& taken);

}  // namespace skiff::scheduler
