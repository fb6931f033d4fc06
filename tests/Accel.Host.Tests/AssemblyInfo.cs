using Xunit;

// These tests run whole networks (ILGPU golden model, ONNX Runtime) and spawn the CLI; on a
// 2-core machine, running them side by side starves the ILGPU CPU accelerator several-fold.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
