// libtorch's global random generator is process-wide: tests that seed it (manual_seed) and then draw
// weights or noise would see each other's draws if they ran in parallel, which made them flaky.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
