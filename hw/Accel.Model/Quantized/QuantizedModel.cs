using Accel.Model.Arithmetic;
using Accel.Model.Networks;

namespace Accel.Model.Quantized;

/// <summary>
/// An 8-bit feature map (CHW) with the scale its values are at. <see cref="Unsigned"/> tensors
/// hold 0..255 in the same bytes (rule LOAD_ACTIVATION); read values through <see cref="ValueAt"/>.
/// </summary>
public sealed record Int8Tensor(Shape Shape, sbyte[] Data, float Scale, bool Unsigned = false)
{
    public int ValueAt(int index) => Int8Arithmetic.Load(Data[index], Unsigned);

    public float Dequantize(int index) => ValueAt(index) * Scale;
}

/// <summary>
/// One quantized convolution: int8 weights [Cout][Cin/Groups][K][K] at a per-output-channel scale,
/// int32 biases at (input scale x weight scale), and per-channel requantization to the output scale.
/// </summary>
public sealed record QuantizedConv(string Name, sbyte[] Weights, int[] Bias, Requant[] Requant, float[] WeightScale);

/// <summary>
/// A network in the int8 contract: what the golden model, the RTL and the compressor consume.
/// <see cref="TensorScales"/> holds the scale of every node's output and of the network input.
/// Global average pools requantize their int32 sums with <see cref="PoolRequant"/>.
/// <see cref="Preprocessing"/> names how images become the float input (see Accel.Images).
/// </summary>
public sealed class QuantizedModel
{
    public QuantizedModel(
        Networks.Network network,
        string preprocessing,
        IReadOnlyDictionary<string, float> tensorScales,
        IReadOnlyDictionary<string, QuantizedConv> convs,
        IReadOnlyDictionary<string, Requant> poolRequant)
    {
        RequireInt8Operators(network);
        if (!tensorScales.ContainsKey(Networks.Network.InputName))
            throw new NetworkException(Networks.Network.InputName, "scale", "no input scale");
        foreach (var node in network.Nodes)
        {
            if (!tensorScales.ContainsKey(node.Name))
                throw new NetworkException(node.Name, "scale", "no output scale");
            switch (node.Op)
            {
                case ConvLayer conv:
                    if (!convs.TryGetValue(node.Name, out var q))
                        throw new NetworkException(node.Name, "weights", "no quantized weights");
                    long fanIn = Weights.FloatModel.FanIn(node);
                    long expected = conv.OutChannels * fanIn;
                    if (q.Weights.Length != expected || q.Bias.Length != conv.OutChannels
                        || q.Requant.Length != conv.OutChannels || q.WeightScale.Length != conv.OutChannels)
                        throw new NetworkException(node.Name, "weights", $"parameter sizes do not match {conv.OutChannels}x{node.Input.Channels / conv.Groups}x{conv.KernelSize}x{conv.KernelSize}");
                    if (fanIn > Int8Arithmetic.MaxFanIn)
                        throw new NetworkException(node.Name, "fanIn", $"fan-in {fanIn} could overflow the int32 accumulator (at most {Int8Arithmetic.MaxFanIn}, docs/arithmetic.md)");
                    break;
                case GlobalAvgPoolLayer when !poolRequant.ContainsKey(node.Name):
                    throw new NetworkException(node.Name, "requant", "no requantization for the average pool");
                case ConcatLayer:
                    foreach (var input in node.Inputs)
                        if (tensorScales[input] != tensorScales[node.Name])
                            throw new NetworkException(node.Name, "scale", $"input '{input}' is at scale {tensorScales[input]} but the concat is at {tensorScales[node.Name]}: concat is channel placement, so they must match");
                    break;
                case MaxPoolLayer when tensorScales[node.Inputs[0]] != tensorScales[node.Name]:
                    throw new NetworkException(node.Name, "scale", "max pool must keep its input's scale");
            }
        }
        Network = network;
        UnsignedTensors = TensorGroups.UnsignedTensors(network);
        Preprocessing = preprocessing;
        TensorScales = tensorScales;
        Convs = convs;
        PoolRequant = poolRequant;
    }

    /// <summary>
    /// Whether the int8 model (quantizer, scalar reference, golden model, .q8) runs a node. This is
    /// wider than <see cref="Networks.Network.RunsOnEngine"/>: the engine schedule catches up per operator.
    /// </summary>
    public static bool RunsInInt8(Node node) => node.Op is ConvLayer or MaxPoolLayer or ConcatLayer or GlobalAvgPoolLayer;

    /// <summary>Throws a <see cref="NetworkException"/> naming the first node the int8 model cannot run.</summary>
    public static void RequireInt8Operators(Networks.Network network)
    {
        var node = network.Nodes.FirstOrDefault(n => !RunsInInt8(n));
        if (node is not null)
            throw new NetworkException(node.Name, "type", $"the int8 model does not implement '{node.Op.Kind}' layers yet");
    }

    public Networks.Network Network { get; }
    public string Preprocessing { get; }
    public IReadOnlyDictionary<string, float> TensorScales { get; }
    public IReadOnlyDictionary<string, QuantizedConv> Convs { get; }
    public IReadOnlyDictionary<string, Requant> PoolRequant { get; }

    /// <summary>The tensors stored unsigned (non-negative by construction, see <see cref="TensorGroups"/>).</summary>
    public IReadOnlySet<string> UnsignedTensors { get; }

    public bool IsUnsigned(string tensor) => UnsignedTensors.Contains(tensor);

    /// <summary>The [lo, hi] a node's requantization clamps to (rule ACTIVATION_RANGE).</summary>
    public (int Lo, int Hi) OutputRange(Node node) =>
        Int8Arithmetic.OutputRange(node.Op is ConvLayer { Relu: true }, IsUnsigned(node.Name));

    public float InputScale => TensorScales[Networks.Network.InputName];
    public float OutputScale => TensorScales[Network.OutputNode];

    /// <summary>Rule QUANTIZE_ACTIVATION applied to a float input tensor.</summary>
    public sbyte[] QuantizeInput(ReadOnlySpan<float> input)
    {
        if (input.Length != Network.InputShape.Elements)
            throw new ArgumentException($"input has {input.Length} values, the network takes {Network.InputShape} = {Network.InputShape.Elements}");
        var q = new sbyte[input.Length];
        float s = InputScale;
        for (int i = 0; i < q.Length; i++) q[i] = Int8Arithmetic.QuantizeActivation(input[i], s);
        return q;
    }
}
