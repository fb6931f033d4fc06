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
    /// representative. A concat shares its inputs' scale (channel placement) and a max pool its
    /// input's (max commutes with a positive scale).
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
            if (node.Op is ConcatLayer or MaxPoolLayer)
                foreach (var input in node.Inputs)
                {
                    string a = Find(node.Name), b = Find(input);
                    if (a != b) parent[a] = b;
                }
        return names.ToDictionary(n => n, Find);
    }

    /// <summary>
    /// Rule UNSIGNED_TENSOR: a scale group is stored unsigned (0..255) when every member is
    /// non-negative by construction: the output of a conv with fused ReLU, or of a max pool or
    /// concat (whose inputs are in the same group). The network input, convs without ReLU and
    /// average pools are signed, and so is any group holding one of them.
    /// </summary>
    public static HashSet<string> UnsignedTensors(Network network)
    {
        var groups = ScaleGroups(network);
        var signedGroups = new HashSet<string> { groups[Network.InputName] };
        foreach (var node in network.Nodes)
            if (node.Op is not (ConvLayer { Relu: true } or MaxPoolLayer or ConcatLayer))
                signedGroups.Add(groups[node.Name]);
        return groups.Where(g => !signedGroups.Contains(g.Value)).Select(g => g.Key).ToHashSet();
    }
}
