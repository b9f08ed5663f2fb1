"""Run by every rank of an MPI job: a real allreduce over MPI.COMM_WORLD.

Each rank contributes rank + 1 and a vector filled with its rank; the sums
must be n(n+1)/2 and n(n-1)/2 in every element. Prints one line per rank
and exits 1 when a sum is wrong, so the job fails on a broken reduction.
"""

import sys

import numpy
from mpi4py import MPI


def main():
    world = MPI.COMM_WORLD
    rank, size = world.Get_rank(), world.Get_size()
    total = world.allreduce(rank + 1, op=MPI.SUM)
    vector = numpy.full(1000, rank, dtype=numpy.int64)
    summed = numpy.empty_like(vector)
    world.Allreduce(vector, summed, op=MPI.SUM)

    expected_total = size * (size + 1) // 2
    expected_vector = size * (size - 1) // 2
    correct = total == expected_total and bool((summed == expected_vector).all())
    print(f"allreduce rank={rank} size={size} total={total} vector={int(summed[0])} "
          f"correct={correct}", flush=True)
    if not correct:
        print(f"rank {rank}: expected total {expected_total} and vector {expected_vector}",
              file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
