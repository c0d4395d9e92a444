# Run at build time (cmake -P) to turn page.html into a C++ header: the document as a raw string
# literal, and the CSP source expressions ('sha256-<base64>') of its one style element and its
# one script element, hashed here from the very bytes embedded, so that the policy can never
# drift from the page. Fails the build if the page has any other inline block, or if the raw
# string's delimiter appears in it.
#   cmake -DINPUT=page.html -DOUTPUT=page_html.hpp -P embed_page.cmake
cmake_minimum_required(VERSION 3.25)

file(READ "${INPUT}" page)

# The text between <tag> and </tag>, which must appear exactly once each.
function(inline_block tag out)
  string(FIND "${page}" "<${tag}>" open)
  string(FIND "${page}" "<${tag}>" last_open REVERSE)
  string(FIND "${page}" "</${tag}>" close)
  if(open EQUAL -1 OR close EQUAL -1 OR NOT open EQUAL last_open OR close LESS open)
    message(FATAL_ERROR "${INPUT}: expected exactly one <${tag}> ... </${tag}>")
  endif()
  string(LENGTH "<${tag}>" tag_length)
  math(EXPR begin "${open} + ${tag_length}")
  math(EXPR length "${close} - ${begin}")
  string(SUBSTRING "${page}" ${begin} ${length} block)
  set(${out} "${block}" PARENT_SCOPE)
endfunction()

# Anything else a browser would run or apply inline would be refused by the policy: say so here
# rather than in the browser.
foreach(forbidden "<script " "<style " " style=" " onclick=" " onload=" " onsubmit=" "javascript:")
  string(FIND "${page}" "${forbidden}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "${INPUT}: \"${forbidden}\" would be refused by the page's CSP")
  endif()
endforeach()

# Base64 (RFC 4648, padded) of the bytes a hex string spells: CSP wants the digest's bytes in
# base64, and CMake's string(SHA256) gives hex.
function(hex_to_base64 hex out)
  set(alphabet "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
  string(LENGTH "${hex}" hex_length)
  set(result "")
  set(position 0)
  while(position LESS hex_length)
    math(EXPR left "${hex_length} - ${position}")
    if(left GREATER_EQUAL 6)
      set(take 6)
    else()
      set(take ${left})
    endif()
    string(SUBSTRING "${hex}" ${position} ${take} chunk)
    # A short last group is padded with zero bytes, and its missing characters with '='.
    set(padded "${chunk}000000")
    string(SUBSTRING "${padded}" 0 6 padded)
    math(EXPR value "0x${padded}")
    math(EXPR bytes "${take} / 2")
    math(EXPR characters "${bytes} + 1")
    foreach(shift 18 12 6 0)
      math(EXPR index "(${value} >> ${shift}) & 63")
      string(SUBSTRING "${alphabet}" ${index} 1 character)
      string(APPEND result "${character}")
    endforeach()
    if(characters LESS 4)
      math(EXPR keep "${characters}")
      string(LENGTH "${result}" result_length)
      math(EXPR cut "${result_length} - 4 + ${keep}")
      string(SUBSTRING "${result}" 0 ${cut} result)
      foreach(i RANGE ${keep} 3)
        string(APPEND result "=")
      endforeach()
    endif()
    math(EXPR position "${position} + ${take}")
  endwhile()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

function(csp_hash text out)
  string(SHA256 hex "${text}")
  hex_to_base64("${hex}" base64)
  set(${out} "'sha256-${base64}'" PARENT_SCOPE)
endfunction()

inline_block(style style)
inline_block(script script)
# The listener fills in {{...}} when it starts: inside a hashed block that would break the hash.
foreach(block style script)
  string(FIND "${${block}}" "{{" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "${INPUT}: a {{...}} placeholder inside the <${block}> block")
  endif()
endforeach()
csp_hash("${style}" style_hash)
csp_hash("${script}" script_hash)

# C++ compilers need only take string literals of up to 65,536 characters (and clang's
# -Wpedantic says so past that): a page that large should be split, not embedded whole.
string(LENGTH "${page}" page_length)
if(page_length GREATER 65535)
  message(FATAL_ERROR "${INPUT}: ${page_length} bytes, more than one string literal should hold")
endif()

set(delimiter "netsvcd_page")
string(FIND "${page}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT}: contains the raw string's end, )${delimiter}\"")
endif()

set(header "// Generated from daemon/wordfinder/page.html by embed_page.cmake at build time: edit page.html.
// The word finder's web page and the CSP hashes of its inline style and script. Constants only.
#pragma once

#include <string_view>

namespace netsvcd::wordfinder::generated {

inline constexpr std::string_view kPageHtml = R\"${delimiter}(${page})${delimiter}\";
inline constexpr std::string_view kPageStyleHash = \"${style_hash}\";
inline constexpr std::string_view kPageScriptHash = \"${script_hash}\";

}  // namespace netsvcd::wordfinder::generated
")

# Always written, so that its time says it is newer than page.html: the build runs this only
# when page.html or this script changed.
file(WRITE "${OUTPUT}" "${header}")
