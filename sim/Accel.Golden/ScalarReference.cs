using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Golden;

/// <summary>
/// The oracle: the int8 contract as plain scalar loops, one output element at a time.
/// Deliberately simple; every other executor is checked against it bit for bit.
/// </summary>
public sealed class ScalarReference : IInt8Executor
{
    public string Name => "scalar";

    public GoldenResult Run(QuantizedModel model, sbyte[] input)
    {
        var network = ExecutorInput.Check(model, input);

        var acts = new Dictionary<string, Int8Tensor>
        {
            [Network.InputName] = new Int8Tensor(network.InputShape, (sbyte[])input.Clone(), model.InputScale),
        };
        foreach (var node in network.Nodes)
        {
            float scale = model.TensorScales[node.Name];
            var x = acts[node.Inputs[0]];
            var (lo, hi) = model.OutputRange(node);
            var ops = model.Operators;
            sbyte[] y = node.Op switch
            {
                ConvLayer c => Conv(x.Data, x.Shape, x.Unsigned, c, model.Convs[node.Name], lo, hi),
                MaxPoolLayer p => MaxPool(x.Data, x.Shape, x.Unsigned, p.KernelSize, p.Stride, p.Padding, p.CeilMode),
                GlobalAvgPoolLayer => GlobalAvgPool(x.Data, x.Shape, x.Unsigned, model.PoolRequant[node.Name]),
                ConcatLayer => Concat(node.Inputs.Select(i => acts[i].Data)),
                AddLayer => Add(x.Data, x.Unsigned, acts[node.Inputs[1]].Data, acts[node.Inputs[1]].Unsigned, ops.Adds[node.Name], lo, hi),
                ActivationLayer => Lookup(x.Data, ops.ActivationTables[node.Name]),
                AvgPoolLayer a => AvgPool(x.Data, x.Shape, x.Unsigned, a.KernelSize, a.Stride, a.Padding, ops.AvgPools[node.Name], lo, hi),
                ChannelShuffleLayer sh => Gather(x.Data, x.Shape, Enumerable.Range(0, x.Shape.Channels).Select(o => CompactOperators.ShuffleSource(o, x.Shape.Channels, sh.Groups)).ToArray()),
                ChannelSliceLayer sl => Gather(x.Data, x.Shape, Enumerable.Range(sl.Start, sl.Count).ToArray()),
                ScaleLayer => Scale(x.Data, x.Shape, x.Unsigned, acts[node.Inputs[1]].Data, acts[node.Inputs[1]].Unsigned, ops.Scales[node.Name], lo, hi),
                _ => throw new NotSupportedException($"node '{node.Name}': unsupported op {node.Op.GetType().Name}"),
            };
            if (y.Length != node.Output.Elements)
                throw new InvalidOperationException($"node '{node.Name}': produced {y.Length} values, expected {node.Output}");
            acts[node.Name] = new Int8Tensor(node.Output, y, scale, model.IsUnsigned(node.Name));
        }
        return new GoldenResult(acts, acts[network.OutputNode]);
    }

    /// <summary>Convolution of a conv node (weights [Cout][Cin/Groups][K][K]) with fused requantization to [lo, hi].</summary>
    public static sbyte[] Conv(sbyte[] input, Shape inShape, bool inputUnsigned, ConvLayer layer, QuantizedConv conv, int lo, int hi) =>
        Conv(input, inShape, inputUnsigned, layer.OutChannels, layer.KernelSize, layer.Stride, layer.Padding,
            conv.Weights, conv.Bias, conv.Requant, lo, hi, layer.Groups);

    /// <summary>
    /// acc = bias[oc] + sum w[oc][j][ky][kx] * x[g*Cin/G + j][oy*s+ky-p][ox*s+kx-p] over the Cin/G input
    /// channels j of the output channel's group g = oc div (Cout/G) (rule GROUPED_CONV; out-of-bounds taps
    /// are 0, x read unsigned when <paramref name="inputUnsigned"/>), out = Requantize(acc, M[oc], S[oc], lo, hi).
    /// Output CHW, size from <see cref="ConvOutput"/>.
    /// </summary>
    public static sbyte[] Conv(sbyte[] input, Shape inShape, bool inputUnsigned, int outChannels, int kernel, int stride, int pad,
        sbyte[] weights, int[] bias, Requant[] requant, int lo, int hi, int groups = 1)
    {
        if (input.Length != inShape.Elements) throw new ArgumentException("input length does not match its shape");
        if (groups < 1 || inShape.Channels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{inShape.Channels} input and {outChannels} output channels do not split into {groups} groups");
        int cinG = inShape.Channels / groups, coutG = outChannels / groups;
        if (weights.Length != (long)outChannels * cinG * kernel * kernel) throw new ArgumentException("weights length");
        if (bias.Length != outChannels || requant.Length != outChannels) throw new ArgumentException("bias/requant length");
        var o = ConvOutput(inShape, outChannels, kernel, stride, pad);
        int h = inShape.Height, w = inShape.Width;
        var output = new sbyte[o.Elements];
        for (int oc = 0; oc < outChannels; oc++)
        {
            int icBase = oc / coutG * cinG;
            for (int oy = 0; oy < o.Height; oy++)
                for (int ox = 0; ox < o.Width; ox++)
                {
                    int acc = bias[oc];
                    for (int j = 0; j < cinG; j++)
                        for (int ky = 0; ky < kernel; ky++)
                            for (int kx = 0; kx < kernel; kx++)
                            {
                                int iy = oy * stride + ky - pad;
                                int ix = ox * stride + kx - pad;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                int wv = weights[((oc * cinG + j) * kernel + ky) * kernel + kx];
                                int xv = Int8Arithmetic.Load(input[((icBase + j) * h + iy) * w + ix], inputUnsigned);
                                acc += wv * xv;
                            }
                    output[(oc * o.Height + oy) * o.Width + ox] =
                        (sbyte)Int8Arithmetic.Requantize(acc, requant[oc].Multiplier, requant[oc].Shift, lo, hi);
                }
        }
        return output;
    }

    public static Shape ConvOutput(Shape inShape, int outChannels, int kernel, int stride, int pad) =>
        new(outChannels,
            Network.OutputSize(inShape.Height, kernel, stride, pad, ceilMode: false),
            Network.OutputSize(inShape.Width, kernel, stride, pad, ceilMode: false));

    public static Shape PoolOutput(Shape inShape, int kernel, int stride, int pad, bool ceilMode) =>
        new(inShape.Channels,
            Network.OutputSize(inShape.Height, kernel, stride, pad, ceilMode),
            Network.OutputSize(inShape.Width, kernel, stride, pad, ceilMode));

    /// <summary>Max over each window's in-bounds values (padding and ceil-mode overhang never win).</summary>
    public static sbyte[] MaxPool(sbyte[] input, Shape inShape, bool inputUnsigned, int kernel, int stride, int pad, bool ceilMode)
    {
        if (input.Length != inShape.Elements) throw new ArgumentException("input length does not match its shape");
        var o = PoolOutput(inShape, kernel, stride, pad, ceilMode);
        int h = inShape.Height, w = inShape.Width;
        var output = new sbyte[o.Elements];
        for (int c = 0; c < o.Channels; c++)
            for (int oy = 0; oy < o.Height; oy++)
                for (int ox = 0; ox < o.Width; ox++)
                {
                    int best = Int8Arithmetic.PoolPadValue;
                    for (int ky = 0; ky < kernel; ky++)
                        for (int kx = 0; kx < kernel; kx++)
                        {
                            int iy = oy * stride + ky - pad;
                            int ix = ox * stride + kx - pad;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            int v = Int8Arithmetic.Load(input[(c * h + iy) * w + ix], inputUnsigned);
                            if (v > best) best = v;
                        }
                    output[(c * o.Height + oy) * o.Width + ox] = (sbyte)best;
                }
        return output;
    }

    /// <summary>Per channel: int32 sum over H*W, then Requantize(sum, M, S) to [-128, 127]. Output C x 1 x 1.</summary>
    public static sbyte[] GlobalAvgPool(sbyte[] input, Shape inShape, bool inputUnsigned, Requant requant)
    {
        if (input.Length != inShape.Elements) throw new ArgumentException("input length does not match its shape");
        int hw = inShape.Height * inShape.Width;
        var output = new sbyte[inShape.Channels];
        for (int c = 0; c < inShape.Channels; c++)
        {
            int sum = 0;
            for (int i = 0; i < hw; i++) sum += Int8Arithmetic.Load(input[c * hw + i], inputUnsigned);
            output[c] = (sbyte)Int8Arithmetic.Requantize(sum, requant.Multiplier, requant.Shift, Int8Arithmetic.ActivationMin, Int8Arithmetic.ActivationMax);
        }
        return output;
    }

    /// <summary>Rule ADD, element by element: a and b as loaded, the add's two multipliers and shared shift.</summary>
    public static sbyte[] Add(sbyte[] a, bool aUnsigned, sbyte[] b, bool bUnsigned, AddRequant requant, int lo, int hi)
    {
        if (a.Length != b.Length) throw new ArgumentException("add inputs differ in length");
        var output = new sbyte[a.Length];
        for (int i = 0; i < a.Length; i++)
            output[i] = (sbyte)CompactOperators.Add(Int8Arithmetic.Load(a[i], aUnsigned), Int8Arithmetic.Load(b[i], bUnsigned), requant, lo, hi);
        return output;
    }

    /// <summary>Rule ACTIVATION_LOOKUP: each output is the table entry of the stored input byte.</summary>
    public static sbyte[] Lookup(sbyte[] input, int[] table)
    {
        if (table.Length != 256) throw new ArgumentException("an activation table has 256 entries");
        var output = new sbyte[input.Length];
        for (int i = 0; i < input.Length; i++) output[i] = (sbyte)table[(byte)input[i]];
        return output;
    }

    /// <summary>
    /// Rule AVGPOOL: per window (floor mode) the int32 sum of its n in-bounds taps, then REQUANT with
    /// <paramref name="requant"/>[n - 1] to [lo, hi]. Padded taps count neither in the sum nor in n.
    /// </summary>
    public static sbyte[] AvgPool(sbyte[] input, Shape inShape, bool inputUnsigned, int kernel, int stride, int pad, Requant[] requant, int lo, int hi)
    {
        if (input.Length != inShape.Elements) throw new ArgumentException("input length does not match its shape");
        if (requant.Length != kernel * kernel) throw new ArgumentException("one multiplier per tap count");
        var o = PoolOutput(inShape, kernel, stride, pad, ceilMode: false);
        int h = inShape.Height, w = inShape.Width;
        var output = new sbyte[o.Elements];
        for (int c = 0; c < o.Channels; c++)
            for (int oy = 0; oy < o.Height; oy++)
                for (int ox = 0; ox < o.Width; ox++)
                {
                    int sum = 0, n = 0;
                    for (int ky = 0; ky < kernel; ky++)
                        for (int kx = 0; kx < kernel; kx++)
                        {
                            int iy = oy * stride + ky - pad;
                            int ix = ox * stride + kx - pad;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            sum += Int8Arithmetic.Load(input[(c * h + iy) * w + ix], inputUnsigned);
                            n++;
                        }
                    var r = requant[n - 1];
                    output[(c * o.Height + oy) * o.Width + ox] = (sbyte)Int8Arithmetic.Requantize(sum, r.Multiplier, r.Shift, lo, hi);
                }
        return output;
    }

    /// <summary>Output channel c is input channel <paramref name="source"/>[c] (CHANNEL_SHUFFLE, CHANNEL_SLICE): bytes move unchanged.</summary>
    public static sbyte[] Gather(sbyte[] input, Shape inShape, int[] source)
    {
        int plane = inShape.Height * inShape.Width;
        var output = new sbyte[source.Length * plane];
        for (int c = 0; c < source.Length; c++)
            Array.Copy(input, source[c] * plane, output, c * plane, plane);
        return output;
    }

    /// <summary>Rule SCALE: every element of channel c of the map times the gate's value of channel c, one requantization.</summary>
    public static sbyte[] Scale(sbyte[] map, Shape shape, bool mapUnsigned, sbyte[] gate, bool gateUnsigned, Requant requant, int lo, int hi)
    {
        if (map.Length != shape.Elements || gate.Length != shape.Channels) throw new ArgumentException("scale needs a CxHxW map and a Cx1x1 gate");
        int plane = shape.Height * shape.Width;
        var output = new sbyte[map.Length];
        for (int i = 0; i < map.Length; i++)
            output[i] = (sbyte)CompactOperators.Scale(Int8Arithmetic.Load(map[i], mapUnsigned), Int8Arithmetic.Load(gate[i / plane], gateUnsigned), requant, lo, hi);
        return output;
    }

    /// <summary>Channel concatenation of CHW tensors with equal H and W: placement in input order.</summary>
    public static sbyte[] Concat(IEnumerable<sbyte[]> inputs)
    {
        var result = new List<sbyte>();
        foreach (var x in inputs) result.AddRange(x);
        return result.ToArray();
    }
}
