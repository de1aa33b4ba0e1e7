// Data parallelism over MPI (Debian's OpenMPI): each rank computes gradients on its own rows of the global
// batch; gradients are averaged with allreduce, so every rank applies the same update and holds the same
// weights. Built with MPI when CMake finds it (R1_HAVE_MPI); without it a run launched by mpirun with more
// than one process is refused with a clear error instead of silently training W independent models.
#pragma once

#include <cstdint>

namespace r1::train {

class Dist {
 public:
  Dist();   // MPI_Init when launched under mpirun (and built with MPI)
  ~Dist();  // MPI_Finalize
  Dist(const Dist&) = delete;
  Dist& operator=(const Dist&) = delete;
  int rank() const { return rank_; }
  int world() const { return world_; }
  bool root() const { return rank_ == 0; }
  // In place: x = mean over ranks (floats), sum over ranks (int64 counts). No-ops for one process.
  void mean(float* x, int64_t n) const;
  void sum(int64_t* x, int64_t n) const;
  void sum(double* x, int64_t n) const;
  void barrier() const;

 private:
  int rank_ = 0, world_ = 1;
  bool mpi_ = false;
};

}  // namespace r1::train
