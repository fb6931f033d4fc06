using Accel.Golden;
using Accel.Hardware.Config;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Cosim;

/// <summary>The whole-network cosim: the result, and the classes the RTL's logits rank first (rule TOP_K).</summary>
public sealed record NetworkCosimResult(CosimResult Cosim, int[] Top5, int[] GoldenTop5)
{
    public double FramesPerSecond => Cosim.TotalCycles == 0 ? 0 : Cosim.Schedule.Config.ClockMHz * 1e6 / Cosim.TotalCycles;
}

/// <summary>
/// A whole network on the engine in one program: the input and weights in simulated DRAM, every
/// layer's output read back from DRAM and compared with the golden model, the logits included.
/// </summary>
public static class NetworkCosim
{
    public static NetworkCosimResult Run(QuantizedModel model, sbyte[] input, EngineConfig config, IInt8Executor golden,
        CosimOptions? options = null, MemoryModel? memory = null)
    {
        var schedule = CosimBuildProfile.Plan(model.Network, config, memory: memory);
        var result = golden.Run(model, input);
        var expected = result.Activations.ToDictionary(kv => kv.Key, kv => kv.Value.Data, StringComparer.Ordinal);
        var cosim = CosimRunner.Run(schedule, model.Convs, input, expected, options, model.PoolRequant, model.Operators);
        return new NetworkCosimResult(cosim, TopK(model.Network, cosim.Outputs, 5), Classification.TopK(model, result, 5));
    }

    /// <summary>Rule TOP_K on the RTL's tensors: by int8 logit, then by the pooled int32 sum, then by class.</summary>
    public static int[] TopK(Network network, IReadOnlyDictionary<string, sbyte[]> tensors, int k)
    {
        var outputNode = network[network.OutputNode];
        var logits = tensors[outputNode.Name];
        int[]? sums = null;
        if (outputNode.Op is GlobalAvgPoolLayer && tensors.TryGetValue(outputNode.Inputs[0], out var pooled))
        {
            var unsignedTensors = TensorGroups.UnsignedTensors(network);
            bool isUnsigned = unsignedTensors.Contains(outputNode.Inputs[0]);
            int plane = pooled.Length / logits.Length;
            sums = new int[logits.Length];
            for (int c = 0; c < sums.Length; c++)
                for (int i = 0; i < plane; i++) sums[c] += Int8Arithmetic.Load(pooled[c * plane + i], isUnsigned);
        }
        return Enumerable.Range(0, logits.Length)
            .OrderByDescending(i => logits[i])
            .ThenByDescending(i => sums?[i] ?? 0)
            .ThenBy(i => i)
            .Take(k)
            .ToArray();
    }
}
