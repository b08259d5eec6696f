// Avahi's client library (Debian's libavahi-client-dev): mDNS publishing and browsing through
// the system's avahi-daemon. pkg-config is left out on purpose: its flags upset SwiftPM.
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-common/alternative.h>
#include <avahi-common/address.h>
