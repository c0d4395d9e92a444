#include "config/cidr.hpp"

#include <charconv>

namespace netsvcd::config {
namespace ip = boost::asio::ip;

namespace {

// Whether the first `prefix` bits of `a` and `b` are equal.
bool same_prefix(const std::uint8_t* a, const std::uint8_t* b, unsigned prefix) {
  for (unsigned byte = 0; prefix > 0; ++byte) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((a[byte] ^ b[byte]) & mask) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

ip::address unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  return address;
}

bool Cidr::contains(const ip::address& address) const {
  const ip::address plain = unmapped(address);
  if (plain.is_v4() != v4) return false;
  if (v4) return same_prefix(plain.to_v4().to_bytes().data(), bytes.data(), prefix);
  return same_prefix(plain.to_v6().to_bytes().data(), bytes.data(), prefix);
}

std::variant<Cidr, std::string> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string address_text(text.substr(0, slash));
  boost::system::error_code ec;
  const ip::address address = ip::make_address(address_text, ec);
  if (ec || address_text.find('%') != std::string::npos) {
    return "\"" + std::string(text) +
           "\" is not an address or network (expected 10.0.0.0/8, 2001:db8::/32 or one address)";
  }
  const ip::address plain = unmapped(address);
  Cidr cidr;
  cidr.v4 = plain.is_v4();
  const unsigned width = cidr.v4 ? 32 : 128;
  cidr.prefix = width;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
        prefix > (address.is_v4() ? 32U : 128U)) {
      return "\"" + std::string(text) + "\": the prefix length must be a number from 0 to " +
             std::to_string(address.is_v4() ? 32 : 128);
    }
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8.
    if (address.is_v6() && cidr.v4) {
      if (prefix < 96) {
        return "\"" + std::string(text) +
               "\": an IPv4-mapped network needs a prefix of at least 96 (write it as IPv4)";
      }
      prefix -= 96;
    }
    cidr.prefix = prefix;
  }
  if (cidr.v4) {
    const auto b = plain.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), cidr.bytes.begin());
  } else {
    cidr.bytes = plain.to_v6().to_bytes();
  }
  std::array<std::uint8_t, 16> network{};
  for (unsigned bit = 0; bit < cidr.prefix; ++bit)
    network[bit / 8] |= cidr.bytes[bit / 8] & (0x80 >> (bit % 8));
  if (network != cidr.bytes) {
    Cidr masked = cidr;
    masked.bytes = network;
    return "\"" + std::string(text) + "\" has bits set past its /" + std::to_string(cidr.prefix) +
           " prefix (the network is " + to_string(masked) + ")";
  }
  return cidr;
}

std::string to_string(const Cidr& cidr) {
  if (cidr.v4) {
    const ip::address_v4 address(
        ip::address_v4::bytes_type{cidr.bytes[0], cidr.bytes[1], cidr.bytes[2], cidr.bytes[3]});
    return address.to_string() + '/' + std::to_string(cidr.prefix);
  }
  return ip::address_v6(cidr.bytes).to_string() + '/' + std::to_string(cidr.prefix);
}

}  // namespace netsvcd::config
