using System.Reflection;
using Accel.Golden.Ilgpu;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace Accel.Golden.Tests;

/// <summary>
/// Without a GPU the CUDA path cannot run, but every kernel must still compile to PTX:
/// ILGPU's PTX backend works without a driver.
/// </summary>
public sealed class PtxCompileTests
{
    public static TheoryData<string> KernelNames() =>
        [nameof(Kernels.Pad), nameof(Kernels.ConvTiled), nameof(Kernels.ConvPerElement), nameof(Kernels.MaxPool), nameof(Kernels.GlobalAvgPool), nameof(Kernels.Copy)];

    [Theory, MemberData(nameof(KernelNames))]
    public void Kernel_compiles_to_ptx(string kernel)
    {
        using var context = Context.Create(b => b.Cuda());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_70, CudaInstructionSet.ISA_70, null!);
        var method = typeof(Kernels).GetMethod(kernel, BindingFlags.Public | BindingFlags.Static)!;
        var entry = EntryPointDescription.FromImplicitlyGroupedKernel(method);
        var spec = KernelSpecialization.Empty;
        var compiled = backend.Compile(entry, spec);
        var ptx = Assert.IsType<PTXCompiledKernel>(compiled).PTXAssembly;
        Assert.Contains(".entry", ptx);
    }
}
