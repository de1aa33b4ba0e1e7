#include "train/dist.h"

#include <cstdlib>
#include <string>

#include "core/error.h"

#ifdef R1_HAVE_MPI
#include <mpi.h>
#endif

namespace r1::train {

namespace {
// Processes in the job according to the launcher's environment (OpenMPI, MPICH / Hydra, Slurm).
int launcher_world() {
  for (const char* k : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* v = std::getenv(k)) return std::atoi(v);
  return 1;
}
}  // namespace

Dist::Dist() {
  const int launched = launcher_world();
#ifdef R1_HAVE_MPI
  if (launched > 1) {
    MPI_Init(nullptr, nullptr);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &world_);
    mpi_ = true;
  }
#else
  if (launched > 1)
    throw Error("launched as " + std::to_string(launched) + " processes, but this r1 was built without MPI "
                "(install libopenmpi-dev and rebuild)");
#endif
}

Dist::~Dist() {
#ifdef R1_HAVE_MPI
  if (mpi_) MPI_Finalize();
#endif
}

void Dist::mean(float* x, int64_t n) const {
#ifdef R1_HAVE_MPI
  if (!mpi_) return;
  for (int64_t off = 0; off < n; off += (int64_t(1) << 30)) {
    const int cnt = int(std::min<int64_t>(n - off, int64_t(1) << 30));
    MPI_Allreduce(MPI_IN_PLACE, x + off, cnt, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }
  const float k = 1.0f / float(world_);
  for (int64_t i = 0; i < n; ++i) x[i] *= k;
#else
  (void)x, (void)n;
#endif
}

void Dist::sum(int64_t* x, int64_t n) const {
#ifdef R1_HAVE_MPI
  if (mpi_) MPI_Allreduce(MPI_IN_PLACE, x, int(n), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
#else
  (void)x, (void)n;
#endif
}

void Dist::sum(double* x, int64_t n) const {
#ifdef R1_HAVE_MPI
  if (mpi_) MPI_Allreduce(MPI_IN_PLACE, x, int(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
  (void)x, (void)n;
#endif
}

void Dist::barrier() const {
#ifdef R1_HAVE_MPI
  if (mpi_) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

}  // namespace r1::train
