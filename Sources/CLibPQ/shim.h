// libpq's client API; Debian installs it under include/postgresql (libpq-dev).
#include <postgresql/libpq-fe.h>
