// libsodium (Debian's libsodium-dev, 1.0.18). The Sodium module wraps what the project uses.
#include <sodium.h>
