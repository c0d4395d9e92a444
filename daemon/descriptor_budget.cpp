#include "descriptor_budget.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace netsvcd {

DescriptorLimit raise_descriptor_limit() {
  DescriptorLimit limit;
  rlimit now{};
  if (::getrlimit(RLIMIT_NOFILE, &now) != 0) return limit;
  limit.soft_before = limit.soft = now.rlim_cur;
  limit.hard = now.rlim_max;
  if (now.rlim_cur >= now.rlim_max) return limit;
  rlimit raised = now;
  raised.rlim_cur = now.rlim_max;
  // An unlimited hard limit, or one past fs.nr_open, is refused: fall back to nr_open.
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    std::uint64_t nr_open = 0;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    if (nr_open <= now.rlim_cur) return limit;
    raised.rlim_cur = std::min<rlim_t>(nr_open, now.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) return limit;
  }
  limit.soft = raised.rlim_cur;
  return limit;
}

std::uint64_t descriptors_in_use() {
  std::error_code ec;
  std::uint64_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++count;
  // The iterator's own descriptor was one of them.
  return count > 0 ? count - 1 : 0;
}

std::uint64_t descriptor_reserve(std::uint64_t limit) {
  return std::clamp<std::uint64_t>(limit / 16, 16, 1024);
}

std::uint64_t connection_cap(std::uint64_t limit, std::uint64_t in_use) {
  const auto needed = in_use + descriptor_reserve(limit);
  return limit > needed ? limit - needed : 1;
}

}  // namespace netsvcd
