// OpenSSL's libcrypto digests (libssl-dev, which libpq-dev depends on).
#include <openssl/evp.h>
