using Accel.Golden.Testing;
using Accel.Hardware.Config;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Cosim.Regression;

/// <summary>The network shapes a regression case is drawn from.</summary>
public static class CaseKinds
{
    /// <summary>One convolution on the (signed) network input.</summary>
    public const string Conv = "conv";
    /// <summary>conv (ReLU) then conv: the second reads an unsigned uint8 tensor.</summary>
    public const string ConvConv = "conv-conv";
    /// <summary>conv (ReLU) then a Fire module (squeeze, expand1x1, expand3x3, concat).</summary>
    public const string ConvFire = "conv-fire";
    /// <summary>conv then max pool 3x3/2 ceil mode or 2x2/2.</summary>
    public const string ConvPool = "conv-pool";
    /// <summary>A Fire module on the network input, then max pool 3x3/2 ceil mode over the concat.</summary>
    public const string FirePool = "fire-pool";

    /// <summary>SqueezeNet's tail: a Fire module, a 1x1 conv, then the global average pool.</summary>
    public const string FireConvAvgPool = "fire-conv-gap";

    public static IReadOnlyList<string> All { get; } = [Conv, ConvConv, ConvFire, ConvPool, FirePool, FireConvAvgPool];
}

/// <summary>A case with <see cref="RegressionCase.Id"/> and its seeds is reproducible on its own.</summary>
public sealed record RegressionCase(string Id, string Suite, int Index, int ArraySize, string Kind, string Corner, int Seed, Network Network)
{
    /// <summary>JUnit class name: the suite and the array size, so CI groups results per engine build.</summary>
    public string ClassName => $"{Suite}.{ArraySize}x{ArraySize}";

    public EngineConfig Config => RegressionSuite.ConfigFor(ArraySize);

    /// <summary>Seeded random weights with the case's saturation corner applied.</summary>
    public QuantizedModel CreateModel() =>
        SaturationCorners.Apply(RandomQuantizedModel.Create(Network, Seed), Corner, new Random(Seed ^ 0x5a5a5a5a));

    /// <summary>The network input: int8 extremes for the weight corners (largest accumulators), else uniform int8.</summary>
    public sbyte[] CreateInput()
    {
        if (!SaturationCorners.WantsExtremeInput(Corner)) return RandomQuantizedModel.Input(Network, Seed + 1);
        var rng = new Random(Seed + 1);
        var x = new sbyte[Network.InputShape.Elements];
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next(2) == 0 ? sbyte.MinValue : sbyte.MaxValue;
        return x;
    }

    /// <summary>The network in one line: input shape and each layer's parameters.</summary>
    public string Description => $"input {Network.InputShape}; " + string.Join("; ", Network.Layers.Select(Describe));

    private static string Describe(Layer layer) => layer switch
    {
        ConvLayer c => $"{c.Name} conv {c.OutChannels} k{c.KernelSize} s{c.Stride} p{c.Padding}{(c.Relu ? " relu" : "")}",
        MaxPoolLayer p => $"{p.Name} maxpool k{p.KernelSize} s{p.Stride} p{p.Padding}{(p.CeilMode ? " ceil" : " floor")}",
        FireLayer f => $"{f.Name} fire squeeze {f.Squeeze} expand1x1 {f.Expand1x1} expand3x3 {f.Expand3x3}",
        _ => $"{layer.Name} {layer.Kind}",
    };

    public override string ToString() => Id;
}
