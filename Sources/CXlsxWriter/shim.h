// libxlsxwriter (Debian's libxlsxwriter-dev): the data engine writes .xlsx files with it, in
// constant-memory mode (one row in memory at a time), for JSON-to-Excel and query exports.
#include <xlsxwriter.h>
