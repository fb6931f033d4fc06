using Accel.Model.Quantized;

namespace Accel.Golden;

/// <summary>Which ILGPU accelerator the golden model runs on. Auto picks CUDA when present, else the CPU.</summary>
public enum GoldenDevice { Auto, Cpu, Cuda }

/// <summary>
/// The int8 result of one image: every node's output keyed by node name (plus "input"),
/// and the network output.
/// </summary>
public sealed record GoldenResult(IReadOnlyDictionary<string, Int8Tensor> Activations, Int8Tensor Output);

/// <summary>Something that executes a <see cref="QuantizedModel"/> under the int8 contract.</summary>
public interface IInt8Executor
{
    string Name { get; }

    /// <summary>Runs one CHW int8 image (length = input shape elements).</summary>
    GoldenResult Run(QuantizedModel model, sbyte[] input);
}

/// <summary>The argument checks every <see cref="IInt8Executor"/> starts with.</summary>
internal static class ExecutorInput
{
    public static Model.Networks.Network Check(QuantizedModel model, sbyte[] input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var network = model.Network;
        if (input.Length != network.InputShape.Elements)
            throw new ArgumentException($"input has {input.Length} values, the network takes {network.InputShape} = {network.InputShape.Elements}");
        return network;
    }
}
