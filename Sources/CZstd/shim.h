// zstd (Debian's libzstd-dev): sync batches and vault chunks are compressed with it.
#include <zstd.h>
