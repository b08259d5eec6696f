// zlib (Debian's zlib1g-dev): raw deflate for vault format v2 chunks (the compression a
// browser's CompressionStream offers) and gzip for the web page's files.
#include <zlib.h>
