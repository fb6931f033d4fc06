using System.Reflection;
using Accel.Golden;
using Accel.Model.Quantized;
using Xunit;
using Xunit.Sdk;

namespace Accel.Golden.Tests;

/// <summary>
/// One ILGPU golden model per backend for the whole test run (kernel compilation happens once).
/// Backends: "cpu" (tiled CPU kernels), "cpu-perelement" (the GPU kernel shape on the CPU
/// accelerator), "cuda" (only when a CUDA device exists).
/// </summary>
public sealed class GoldenFixture : IDisposable
{
    private static readonly Lazy<bool> Cuda = new(() => IlgpuGoldenModel.CudaAvailable);
    public static bool CudaAvailable => Cuda.Value;

    private readonly Dictionary<string, Lazy<IlgpuGoldenModel>> _models = new()
    {
        ["cpu"] = new(() => IlgpuGoldenModel.Create(GoldenDevice.Cpu, ConvKernelShape.Tiled)),
        ["cpu-perelement"] = new(() => IlgpuGoldenModel.Create(GoldenDevice.Cpu, ConvKernelShape.PerElement)),
        ["cuda"] = new(() => IlgpuGoldenModel.Create(GoldenDevice.Cuda)),
    };

    public IlgpuGoldenModel Get(string backend) => _models[backend].Value;

    public void Dispose()
    {
        foreach (var m in _models.Values)
            if (m.IsValueCreated) m.Value.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class GoldenCollection : ICollectionFixture<GoldenFixture>
{
    public const string Name = "golden";
}

/// <summary>The CPU backends: always run.</summary>
public sealed class CpuBackendsAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [["cpu"], ["cpu-perelement"]];
}

/// <summary>The tiled CPU backend only (for the expensive whole-network case).</summary>
public sealed class CpuTiledBackendAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [["cpu"]];
}

/// <summary>The CUDA backend: skipped, with the reason, when no CUDA device is present.</summary>
public sealed class CudaBackendAttribute : DataAttribute
{
    public CudaBackendAttribute()
    {
        if (!GoldenFixture.CudaAvailable)
            Skip = "no CUDA device visible to ILGPU: the CUDA golden model is not tested on this machine";
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [["cuda"]];
}

public static class Compare
{
    /// <summary>Element-by-element equality of every activation both results have; names the first difference.</summary>
    public static void SameActivations(GoldenResult expected, GoldenResult actual, string context = "")
    {
        Assert.Equal(expected.Activations.Keys.OrderBy(k => k, StringComparer.Ordinal),
            actual.Activations.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (name, e) in expected.Activations)
            SameTensor(e, actual.Activations[name], $"{context} node '{name}'");
        SameTensor(expected.Output, actual.Output, $"{context} output");
    }

    public static void SameTensor(Int8Tensor e, Int8Tensor a, string what)
    {
        if (e.Shape != a.Shape) throw new XunitException($"{what}: shape {a.Shape}, expected {e.Shape}");
        if (e.Scale != a.Scale) throw new XunitException($"{what}: scale {a.Scale}, expected {e.Scale}");
        for (int i = 0; i < e.Data.Length; i++)
            if (e.Data[i] != a.Data[i])
            {
                int hw = e.Shape.Height * e.Shape.Width;
                throw new XunitException($"{what} {e.Shape}: element {i} (c={i / hw}, y={i % hw / e.Shape.Width}, x={i % e.Shape.Width}) is {a.Data[i]}, expected {e.Data[i]}");
            }
    }
}
