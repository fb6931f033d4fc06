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
/// The quantized parameters of the operators beyond convolutions and pools (docs/arithmetic.md,
/// "Operators beyond Fire"), keyed by node name. <see cref="ActivationTables"/>: 256 entries per
/// activation indexed by the stored input byte (rule ACTIVATION_LOOKUP), each the output value as
/// loaded. <see cref="AvgPools"/>: K x K multipliers per average pool, entry n - 1 for a window of n
/// in-bounds taps (rule AVGPOOL). Shuffles and slices carry nothing (data movement).
/// </summary>
public sealed record OperatorParameters
{
    public IReadOnlyDictionary<string, AddRequant> Adds { get; init; } = new Dictionary<string, AddRequant>();
    public IReadOnlyDictionary<string, int[]> ActivationTables { get; init; } = new Dictionary<string, int[]>();
    public IReadOnlyDictionary<string, Requant[]> AvgPools { get; init; } = new Dictionary<string, Requant[]>();
    public IReadOnlyDictionary<string, Requant> Scales { get; init; } = new Dictionary<string, Requant>();

    public static OperatorParameters None { get; } = new();

    /// <summary>Entries of an activation table: one per byte value.</summary>
    public const int TableSize = 256;
}

/// <summary>
/// A network in the int8 contract: what the golden model, the RTL and the compressor consume.
/// <see cref="TensorScales"/> holds the scale of every node's output and of the network input.
/// Global average pools requantize their int32 sums with <see cref="PoolRequant"/>; adds,
/// activations, average pools and scales use <see cref="Operators"/>.
/// <see cref="Preprocessing"/> names how images become the float input (see Accel.Images).
/// </summary>
public sealed class QuantizedModel
{
    public QuantizedModel(
        Networks.Network network,
        string preprocessing,
        IReadOnlyDictionary<string, float> tensorScales,
        IReadOnlyDictionary<string, QuantizedConv> convs,
        IReadOnlyDictionary<string, Requant> poolRequant,
        OperatorParameters? operators = null)
    {
        operators ??= OperatorParameters.None;
        var unsignedTensors = TensorGroups.UnsignedTensors(network);
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
                case MaxPoolLayer or ChannelShuffleLayer or ChannelSliceLayer when tensorScales[node.Inputs[0]] != tensorScales[node.Name]:
                    throw new NetworkException(node.Name, "scale", $"a {node.Op.Kind} must keep its input's scale");
                case AddLayer:
                    if (!operators.Adds.TryGetValue(node.Name, out var add))
                        throw new NetworkException(node.Name, "requant", "no add multipliers");
                    if (add.MultiplierA is < 0 or > ushort.MaxValue || add.MultiplierB is < 0 or > ushort.MaxValue
                        || add.Shift is < Int8Arithmetic.MinShift or > Int8Arithmetic.MaxShift)
                        throw new NetworkException(node.Name, "requant", $"add multipliers ({add.MultiplierA}, {add.MultiplierB}) >> {add.Shift} are outside 16 bits or the shift range [{Int8Arithmetic.MinShift}, {Int8Arithmetic.MaxShift}]");
                    break;
                case ActivationLayer:
                {
                    if (!operators.ActivationTables.TryGetValue(node.Name, out var table))
                        throw new NetworkException(node.Name, "table", "no activation table");
                    if (table.Length != OperatorParameters.TableSize)
                        throw new NetworkException(node.Name, "table", $"the activation table has {table.Length} entries, expected {OperatorParameters.TableSize}");
                    var (lo, hi) = Range(node, unsignedTensors);
                    int bad = Array.FindIndex(table, v => v < lo || v > hi);
                    if (bad >= 0)
                        throw new NetworkException(node.Name, "table", $"entry {bad} is {table[bad]}, outside the output range [{lo}, {hi}]");
                    break;
                }
                case AvgPoolLayer avg:
                    if (!operators.AvgPools.TryGetValue(node.Name, out var rqs))
                        throw new NetworkException(node.Name, "requant", "no average-pool multipliers");
                    if (rqs.Length != avg.KernelSize * avg.KernelSize)
                        throw new NetworkException(node.Name, "requant", $"{rqs.Length} multipliers, expected one per tap count 1..{avg.KernelSize * avg.KernelSize}");
                    break;
                case ScaleLayer when !operators.Scales.ContainsKey(node.Name):
                    throw new NetworkException(node.Name, "requant", "no scale multiplier");
            }
        }
        Network = network;
        UnsignedTensors = unsignedTensors;
        Operators = operators;
        Preprocessing = preprocessing;
        TensorScales = tensorScales;
        Convs = convs;
        PoolRequant = poolRequant;
    }

    public Networks.Network Network { get; }
    public string Preprocessing { get; }
    public IReadOnlyDictionary<string, float> TensorScales { get; }
    public IReadOnlyDictionary<string, QuantizedConv> Convs { get; }
    public IReadOnlyDictionary<string, Requant> PoolRequant { get; }
    public OperatorParameters Operators { get; }

    /// <summary>The same model with other conv parameters and optionally other scales (saturation corners, compressed weights).</summary>
    public QuantizedModel WithConvs(IReadOnlyDictionary<string, QuantizedConv> convs, IReadOnlyDictionary<string, float>? tensorScales = null) =>
        new(Network, Preprocessing, tensorScales ?? TensorScales, convs, PoolRequant, Operators);

    /// <summary>The tensors stored unsigned (non-negative by construction, see <see cref="TensorGroups"/>).</summary>
    public IReadOnlySet<string> UnsignedTensors { get; }

    public bool IsUnsigned(string tensor) => UnsignedTensors.Contains(tensor);

    /// <summary>
    /// The [lo, hi] a node's output clamps to (rule ACTIVATION_RANGE): ReLU-like when a conv or add
    /// fuses ReLU or the node is a ReLU, ReLU6 or hard-sigmoid activation.
    /// </summary>
    public (int Lo, int Hi) OutputRange(Node node) => Range(node, UnsignedTensors);

    private static (int Lo, int Hi) Range(Node node, IReadOnlySet<string> unsignedTensors) =>
        Int8Arithmetic.OutputRange(
            node.Op is ConvLayer { Relu: true } or AddLayer { Relu: true } or ActivationLayer { Function: not ActivationKind.HardSwish },
            unsignedTensors.Contains(node.Name));

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
