using Accel.Golden;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Cosim;

/// <summary>
/// Cosim of one top-level layer of a network (a conv, a pool, or a Fire module's four nodes):
/// the golden model runs the whole network on the input, the layer's own input activations
/// feed the RTL, and each of the layer's node outputs is compared with the golden one.
/// </summary>
public static class LayerCosim
{
    /// <summary>The nodes of top-level layer <paramref name="layer"/> and the one tensor they read.</summary>
    public static (IReadOnlyList<Node> Nodes, string InputTensor) Select(Network network, string layer)
    {
        var nodes = network.Nodes.Where(n => n.Group == layer || n.Name == layer).ToList();
        if (nodes.Count == 0)
            throw new ScheduleException($"network '{network.Name}' has no layer '{layer}' (layers: {string.Join(", ", network.Nodes.Select(n => n.Group).Distinct())})");
        var produced = nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var external = nodes.SelectMany(n => n.Inputs).Where(i => !produced.Contains(i)).Distinct().ToList();
        if (external.Count != 1)
            throw new ScheduleException($"layer '{layer}' reads {external.Count} tensors from outside it ({string.Join(", ", external)}); cosim takes a layer with one input");
        return (nodes, external[0]);
    }

    /// <summary>Runs <paramref name="layer"/> of <paramref name="model"/> on the network input <paramref name="networkInput"/>.</summary>
    public static CosimResult Run(QuantizedModel model, sbyte[] networkInput, string layer, EngineConfig config, IInt8Executor golden, CosimOptions? options = null)
    {
        var (nodes, inputTensor) = Select(model.Network, layer);
        var schedule = CosimBuildProfile.Plan(model.Network, config, nodes, inputTensor);
        var acts = golden.Run(model, networkInput).Activations;
        var expected = nodes.ToDictionary(n => n.Name, n => acts[n.Name].Data, StringComparer.Ordinal);
        return CosimRunner.Run(schedule, model.Convs, acts[inputTensor].Data, expected, options, model.PoolRequant, model.Operators);
    }
}
