using Accel.Model.Networks;

namespace Accel.Model.Quantized;

/// <summary>
/// Which tensors must share one scale, and which are stored unsigned. Both follow from the
/// graph alone, so every executor, the quantizer and the file format agree without storing them.
/// </summary>
public static class TensorGroups
{
    /// <summary>
    /// Every tensor name (network input and node outputs) mapped to its scale group's
    /// representative. A concat shares its inputs' scale (channel placement), a max pool its
    /// input's (max commutes with a positive scale), a channel shuffle or slice its input's (data movement).
    /// </summary>
    public static Dictionary<string, string> ScaleGroups(Network network)
    {
        var parent = new Dictionary<string, string>();
        string Find(string x)
        {
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        }
        var names = new[] { Network.InputName }.Concat(network.Nodes.Select(n => n.Name)).ToList();
        foreach (var n in names) parent[n] = n;
        foreach (var node in network.Nodes)
            if (node.Op is ConcatLayer or MaxPoolLayer or ChannelShuffleLayer or ChannelSliceLayer)
                foreach (var input in node.Inputs)
                {
                    string a = Find(node.Name), b = Find(input);
                    if (a != b) parent[a] = b;
                }
        return names.ToDictionary(n => n, Find);
    }

    /// <summary>
    /// Rule UNSIGNED_TENSOR: a scale group is stored unsigned (0..255) when every member is
    /// non-negative by construction: the output of a conv or add with fused ReLU, of a ReLU, ReLU6 or
    /// hard-sigmoid activation, of a max pool, concat, shuffle or slice (whose inputs are in the same
    /// group), of an average pool of an unsigned input, of an add without ReLU of two unsigned inputs,
    /// or of a scale whose map and gate are unsigned. The network input, convs without ReLU, global
    /// average pools and hard-swish are signed, and so is any group holding a signed tensor.
    /// </summary>
    public static HashSet<string> UnsignedTensors(Network network)
    {
        var groups = ScaleGroups(network);
        var signedGroups = new HashSet<string> { groups[Network.InputName] };
        foreach (var node in network.Nodes)
            if (node.Op is not (ConvLayer { Relu: true } or AddLayer or ActivationLayer { Function: not ActivationKind.HardSwish }
                or MaxPoolLayer or ConcatLayer or ChannelShuffleLayer or ChannelSliceLayer or AvgPoolLayer or ScaleLayer))
                signedGroups.Add(groups[node.Name]);
        // Average pools, ReLU-less adds and scales are signed when an input is: follow that to a fixed point
        // (groups join tensors from different places in the graph, so one pass in graph order is not enough).
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var node in network.Nodes)
            {
                bool inheritsSign = node.Op is AvgPoolLayer or AddLayer { Relu: false } or ScaleLayer;
                if (inheritsSign && !signedGroups.Contains(groups[node.Name]) && node.Inputs.Any(i => signedGroups.Contains(groups[i])))
                    changed |= signedGroups.Add(groups[node.Name]);
            }
        }
        return groups.Where(g => !signedGroups.Contains(g.Value)).Select(g => g.Key).ToHashSet();
    }
}
