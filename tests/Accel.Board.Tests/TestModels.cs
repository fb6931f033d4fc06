using Accel.Cosim;
using Accel.Golden;
using Accel.Golden.Testing;
using Accel.Hardware.Config;
using Accel.Hardware.Schedule;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Board.Tests;

/// <summary>Small seeded models on small engines, with their golden activations.</summary>
internal sealed record TestModel(Network Network, QuantizedModel Model, sbyte[] Input, EngineSchedule Schedule, Dictionary<string, sbyte[]> Expected)
{
    /// <summary>Two convs into a global average pool (the output), so the read-back includes the pooled tensor.</summary>
    public static TestModel Pooled(int n = 4, int seed = 21)
    {
        var net = new Network("board_pooled", new Shape(5, 9, 9),
        [
            new ConvLayer("a", 3 * n, 3, 1, 1, Relu: true),
            new ConvLayer("b", 2 * n + 3, 1, 1, 0, Relu: true),
            new GlobalAvgPoolLayer("pool"),
        ]);
        return Create(net, n, seed);
    }

    /// <summary>Convs sparse enough that decode on load turns some weight loads into streams.</summary>
    public static TestModel Sparse(int n = 4, int seed = 31)
    {
        var net = new Network("board_sparse", new Shape(3 * n, 7, 7),
        [
            new ConvLayer("a", 4 * n, 3, 1, 1, Relu: true),
            new ConvLayer("b", 2 * n + 1, 1, 1, 0, Relu: false),
        ]);
        var model = RandomQuantizedModel.Create(net, seed);
        var rng = new Random(seed + 1);
        foreach (var w in model.Convs.Values.Select(c => c.Weights))
            for (int i = 0; i < w.Length; i++)
                if (rng.NextDouble() >= 0.12) w[i] = 0;
        return Create(net, n, seed, model);
    }

    private static TestModel Create(Network net, int n, int seed, QuantizedModel? model = null)
    {
        model ??= RandomQuantizedModel.Create(net, seed);
        var input = RandomQuantizedModel.Input(net, seed + 7);
        var schedule = CosimBuildProfile.Plan(net, new EngineConfig { Rows = n, Cols = n });
        var expected = new ScalarReference().Run(model, input).Activations.ToDictionary(kv => kv.Key, kv => kv.Value.Data, StringComparer.Ordinal);
        return new TestModel(net, model, input, schedule, expected);
    }
}
