// Debian's libopenblas-dev: the CBLAS interface (cblas_sgemm) the assistant's encoder runs on.
#include <cblas.h>
