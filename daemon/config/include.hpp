// expand_include: the drop-in files that one pattern of the main file's `include:` names, found
// with POSIX glob(3), relative to the main file's directory unless absolute, and sorted by their
// bytes whatever the locale. Pure apart from reading directories; safe from any thread (glob(3)
// without GLOB_TILDE touches no shared state but the locale, which netsvcd never changes).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace netsvcd::config {

// The files `pattern` matches, named as they will be in messages (the main file's directory as
// the user wrote it, joined to the pattern), or why a directory on the way cannot be read. A
// pattern that matches nothing, or whose directory does not exist, gives no file: an empty
// conf.d is normal. Hidden files (.name) match only a pattern that starts them with a '.'.
std::variant<std::vector<std::string>, std::string> expand_include(
    std::string_view pattern, const std::filesystem::path& main_file);

}  // namespace netsvcd::config
