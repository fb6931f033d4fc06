using System.Reflection;
using Accel.Golden.Float;
using Accel.Model.Networks;
using Accel.Onnx.Runtime;
using Xunit;
using Xunit.Sdk;

namespace Accel.Onnx.Tests;

/// <summary>
/// The imported compact operators against ONNX Runtime on the same file: random input through ORT
/// and through our float reference on the imported model, compared element by element.
/// </summary>
public sealed class CompactOnnxRuntimeTests
{
    public static TheoryData<string> Graphs => new(CompactGraphs.AllNames);

    /// <summary>
    /// Uniform in [-range, range]: wide enough that operators' clamps (ReLU6 at 6, hard-sigmoid at
    /// -3 and 3) are reached after the first conv.
    /// </summary>
    private static float[] RandomInput(Shape shape, int seed, float range)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, (int)shape.Elements).Select(_ => (float)((rng.NextDouble() * 2 - 1) * range)).ToArray();
    }

    private static float[] OnnxRuntime(string path, float[] input)
    {
        using var session = new OnnxRuntimeSession(path);
        return session.Run(input);
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Onnx_runtime_agrees_on_the_output_size(string name)
    {
        var path = CompactGraphs.ByName(name).Save();
        var network = OnnxImporter.Import(path).Network;
        Assert.Equal(network.OutputShape.Elements, OnnxRuntime(path, RandomInput(network.InputShape, 1, 1)).Length);
    }

    [Theory]
    [FloatReferenceGraphs(runnable: true)]
    [FloatReferenceGraphs(runnable: false)]
    public void Float_reference_matches_onnx_runtime(string name)
    {
        var path = CompactGraphs.ByName(name).Save();
        var model = OnnxImporter.Load(path);
        for (int seed = 1; seed <= 3; seed++)
        {
            var input = RandomInput(model.Network.InputShape, seed, 5);
            var ort = OnnxRuntime(path, input);
            var ours = FloatReference.Run(model, input).Output;
            Assert.Equal(ort.Length, ours.Length);
            // Relative to the output's magnitude: float32 sums in a different order differ in the last bits.
            float tolerance = 1e-4f * Math.Max(1, ort.Max(Math.Abs));
            int worst = Enumerable.Range(0, ours.Length).MaxBy(i => Math.Abs(ours[i] - ort[i]));
            Assert.True(Math.Abs(ours[worst] - ort[worst]) <= tolerance,
                $"{name}, seed {seed}: output {worst} is {ours[worst]} here and {ort[worst]} in ONNX Runtime (tolerance {tolerance})");
        }
    }
}

/// <summary>
/// The graphs of <see cref="CompactOnnxRuntimeTests.Graphs"/> split by whether the float reference
/// runs all their layers: the runnable ones, or (skipped, with the reason) those where it throws
/// <see cref="NotSupportedException"/> for an operator it does not implement yet. Any other failure
/// counts as runnable, so the test itself reports it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
internal sealed class FloatReferenceGraphsAttribute : DataAttribute
{
    private static readonly Lazy<Dictionary<string, string>> Unsupported = new(() =>
    {
        var reasons = new Dictionary<string, string>();
        foreach (var name in CompactGraphs.AllNames)
        {
            try
            {
                var model = OnnxImporter.Load(CompactGraphs.ByName(name).Bytes(), name);
                FloatReference.Run(model, new float[model.Network.InputShape.Elements]);
            }
            catch (NotSupportedException e) { reasons[name] = e.Message; }
            catch (Exception) { }
        }
        return reasons;
    });

    private readonly bool _runnable;

    public FloatReferenceGraphsAttribute(bool runnable)
    {
        _runnable = runnable;
        if (!runnable && Unsupported.Value.Count > 0)
            Skip = "the float reference does not run these operators yet: "
                + string.Join("; ", Unsupported.Value.Select(kv => $"{kv.Key}: {kv.Value}"));
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        CompactGraphs.AllNames.Where(name => Unsupported.Value.ContainsKey(name) != _runnable).Select(name => new object[] { name });
}
