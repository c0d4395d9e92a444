#include "fuzz_targets.hpp"

namespace netsvcd::fuzz {

void check(bool condition, const std::string& what) {
  if (!condition) throw InvariantBroken(what);
}

}  // namespace netsvcd::fuzz
