#include "log.hpp"

#include <utility>

namespace netsvcd {
namespace {

thread_local const LogFields* current_fields = nullptr;

}  // namespace

const LogFields* current_log_fields() {
  return current_fields;
}

detail::CurrentLogFields::CurrentLogFields(const LogFields& fields)
    : previous_(std::exchange(current_fields, &fields)) {}

detail::CurrentLogFields::~CurrentLogFields() {
  current_fields = previous_;
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace netsvcd
