// MD5 for twemproxy's `md5` hash and the ketama points (RFC 1321, from OpenSSL's libcrypto).
//
// We call OpenSSL's one-shot MD5(): it hashes on the stack, without the allocation and algorithm
// lookup of EVP_Digest, which matters when every key of a `hash: md5` pool goes through it. OpenSSL 3
// marks the low-level digest API deprecated (not removed), hence the suppression below.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>

#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::hash::twemproxy {

void md5_digest(std::string_view bytes, unsigned char (&digest)[16]) noexcept {
  static_assert(MD5_DIGEST_LENGTH == 16);
  MD5(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
}

}  // namespace ringleader::hash::twemproxy
