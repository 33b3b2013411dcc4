// OpenBLAS's CBLAS (with openblas_set_num_threads) and LAPACKE; nothing else lives in this target.
#include <cblas.h>
#include <lapacke.h>
