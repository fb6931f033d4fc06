using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Accel.Model.Networks;
using Accel.Model.Weights;

namespace Accel.Golden.Float;

/// <summary>Network output (flattened CHW) and, on request, every node's activation keyed by node name.</summary>
public sealed record FloatResult(float[] Output, IReadOnlyDictionary<string, float[]>? Activations);

/// <summary>
/// Plain C# float32 executor of a <see cref="FloatModel"/>: the float reference of the kit.
/// Convolutions add bias then apply the fused ReLU; max pooling clips windows to the feature map
/// (so padding never wins, as in Caffe and PyTorch ceil mode); global average pooling; channel
/// concatenation; grouped convolutions, adds, activations (PyTorch's definitions), average pooling
/// without padded taps, channel shuffle and slice, channel-wise scale; softmax on the output when
/// the network asks for it. Work is spread over
/// output channels; inner loops run over contiguous rows with SIMD.
/// </summary>
public static class FloatReference
{
    public static FloatResult Run(FloatModel model, float[] input, bool keepActivations = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var network = model.Network;
        if (input.Length != network.InputShape.Elements)
            throw new ArgumentException($"input has {input.Length} values but network '{network.Name}' needs {network.InputShape} = {network.InputShape.Elements}", nameof(input));

        var values = new Dictionary<string, float[]> { [Network.InputName] = input };
        // How many later nodes still read each value, to free intermediates early when not kept.
        var remaining = new Dictionary<string, int>();
        foreach (var node in network.Nodes)
            foreach (var i in node.Inputs) remaining[i] = remaining.GetValueOrDefault(i) + 1;

        foreach (var node in network.Nodes)
        {
            float[] output = node.Op switch
            {
                ConvLayer c => Conv(values[node.Inputs[0]], node.Input, node.Output, c, model.Weights[node.Name]),
                MaxPoolLayer p => MaxPool(values[node.Inputs[0]], node.Input, node.Output, p),
                GlobalAvgPoolLayer => GlobalAvgPool(values[node.Inputs[0]], node.Input),
                ConcatLayer => Concat(node.Inputs.Select(i => values[i]).ToList()),
                AddLayer a => Add(values[node.Inputs[0]], values[node.Inputs[1]], a.Relu),
                ActivationLayer act => Activation(values[node.Inputs[0]], act.Function),
                AvgPoolLayer a => AvgPool(values[node.Inputs[0]], node.Input, node.Output, a),
                ChannelShuffleLayer sh => Gather(values[node.Inputs[0]], node.Input,
                    Enumerable.Range(0, node.Input.Channels).Select(o => Model.Arithmetic.CompactOperators.ShuffleSource(o, node.Input.Channels, sh.Groups)).ToArray()),
                ChannelSliceLayer sl => Gather(values[node.Inputs[0]], node.Input, Enumerable.Range(sl.Start, sl.Count).ToArray()),
                ScaleLayer => Scale(values[node.Inputs[0]], node.Input, values[node.Inputs[1]]),
                _ => throw new NotSupportedException($"node '{node.Name}': {node.Op.Kind} is not supported by the float reference"),
            };
            values[node.Name] = output;
            if (!keepActivations)
                foreach (var i in node.Inputs)
                    if (--remaining[i] == 0 && i != Network.InputName) values.Remove(i);
        }

        var result = values[network.OutputNode];
        if (network.OutputSoftmax) result = Softmax(result);
        return new FloatResult(result, keepActivations ? values : null);
    }

    /// <summary>Convolution (weights [Cout][Cin/Groups][K][K], each output channel reading its group's inputs) plus bias, then ReLU when the layer fuses one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] Conv(float[] input, Shape inShape, Shape outShape, ConvLayer conv, ConvWeights weights)
    {
        var output = new float[(long)conv.OutChannels * outShape.Height * outShape.Width];
        Parallel.For(0, conv.OutChannels, co => ConvChannel(input, inShape, outShape, conv, weights, output, co));
        return output;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvChannel(float[] input, Shape inShape, Shape outShape, ConvLayer conv, ConvWeights weights, float[] output, int co)
    {
        int cin = inShape.Channels / conv.Groups, ih = inShape.Height, iw = inShape.Width;
        int icBase = co / (conv.OutChannels / conv.Groups) * cin;
        int oh = outShape.Height, ow = outShape.Width;
        int k = conv.KernelSize, s = conv.Stride, p = conv.Padding;
        int inPlane = ih * iw, outPlane = oh * ow;
        var w = weights.Weights;
        var bias = weights.Bias;
        bool pointwise = k == 1 && s == 1 && p == 0;
        var o = output.AsSpan(co * outPlane, outPlane);
        o.Fill(bias[co]);
        int wBase = co * cin * k * k;
        for (int ci = 0; ci < cin; ci++)
        {
            var plane = input.AsSpan((icBase + ci) * inPlane, inPlane);
            if (pointwise)
            {
                float wv = w[wBase + ci];
                if (wv != 0) Axpy(o, plane, wv);
                continue;
            }
            for (int ky = 0; ky < k; ky++)
            {
                // Output rows whose input row oy*s - p + ky lies inside the map.
                int oyLo = Math.Max(0, CeilDiv(p - ky, s));
                int oyHi = Math.Min(oh, FloorDiv(ih - 1 + p - ky, s) + 1);
                for (int kx = 0; kx < k; kx++)
                {
                    float wv = w[wBase + (ci * k + ky) * k + kx];
                    if (wv == 0) continue;
                    int oxLo = Math.Max(0, CeilDiv(p - kx, s));
                    int oxHi = Math.Min(ow, FloorDiv(iw - 1 + p - kx, s) + 1);
                    int n = oxHi - oxLo;
                    if (n <= 0) continue;
                    for (int oy = oyLo; oy < oyHi; oy++)
                    {
                        int iy = oy * s - p + ky;
                        int ix0 = oxLo * s - p + kx;
                        var row = o.Slice(oy * ow + oxLo, n);
                        if (s == 1) Axpy(row, plane.Slice(iy * iw + ix0, n), wv);
                        else
                        {
                            var src = plane.Slice(iy * iw);
                            for (int j = 0, ix = ix0; j < n; j++, ix += s) row[j] += wv * src[ix];
                        }
                    }
                }
            }
        }
        if (conv.Relu)
            for (int i = 0; i < o.Length; i++) if (o[i] < 0) o[i] = 0;
    }

    /// <summary>Max pooling with windows clipped to the feature map.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] MaxPool(float[] input, Shape inShape, Shape outShape, MaxPoolLayer pool)
    {
        int ih = inShape.Height, iw = inShape.Width, oh = outShape.Height, ow = outShape.Width;
        int k = pool.KernelSize, s = pool.Stride, p = pool.Padding;
        var output = new float[outShape.Elements];
        Parallel.For(0, inShape.Channels, c =>
        {
            var plane = input.AsSpan(c * ih * iw, ih * iw);
            var o = output.AsSpan(c * oh * ow, oh * ow);
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = Math.Max(0, oy * s - p), y1 = Math.Min(ih, oy * s - p + k);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = Math.Max(0, ox * s - p), x1 = Math.Min(iw, ox * s - p + k);
                    float m = float.NegativeInfinity;
                    for (int y = y0; y < y1; y++)
                        for (int x = x0; x < x1; x++)
                            m = MathF.Max(m, plane[y * iw + x]);
                    o[oy * ow + ox] = m;
                }
            }
        });
        return output;
    }

    public static float[] GlobalAvgPool(float[] input, Shape inShape)
    {
        int plane = inShape.Height * inShape.Width;
        var output = new float[inShape.Channels];
        for (int c = 0; c < output.Length; c++)
        {
            double sum = 0;
            foreach (var v in input.AsSpan(c * plane, plane)) sum += v;
            output[c] = (float)(sum / plane);
        }
        return output;
    }

    /// <summary>Element-wise sum, then ReLU when the add fuses one.</summary>
    public static float[] Add(float[] a, float[] b, bool relu)
    {
        var output = new float[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            float v = a[i] + b[i];
            output[i] = relu && v < 0 ? 0 : v;
        }
        return output;
    }

    /// <summary>PyTorch's definition of the activation, element by element.</summary>
    public static float[] Activation(float[] x, ActivationKind kind) =>
        x.Select(v => (float)Model.Arithmetic.CompactOperators.Apply(kind, v)).ToArray();

    /// <summary>Average over each window's in-bounds taps (padding not counted, floor mode).</summary>
    public static float[] AvgPool(float[] input, Shape inShape, Shape outShape, AvgPoolLayer pool)
    {
        int ih = inShape.Height, iw = inShape.Width, oh = outShape.Height, ow = outShape.Width;
        int k = pool.KernelSize, s = pool.Stride, p = pool.Padding;
        var output = new float[outShape.Elements];
        for (int c = 0; c < inShape.Channels; c++)
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = Math.Max(0, oy * s - p), y1 = Math.Min(ih, oy * s - p + k);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = Math.Max(0, ox * s - p), x1 = Math.Min(iw, ox * s - p + k);
                    double sum = 0;
                    for (int y = y0; y < y1; y++)
                        for (int x = x0; x < x1; x++)
                            sum += input[(c * ih + y) * iw + x];
                    output[(c * oh + oy) * ow + ox] = (float)(sum / ((y1 - y0) * (x1 - x0)));
                }
            }
        return output;
    }

    /// <summary>Output channel c is input channel <paramref name="source"/>[c] (shuffle, slice).</summary>
    public static float[] Gather(float[] input, Shape inShape, int[] source)
    {
        int plane = inShape.Height * inShape.Width;
        var output = new float[source.Length * plane];
        for (int c = 0; c < source.Length; c++) Array.Copy(input, source[c] * plane, output, c * plane, plane);
        return output;
    }

    /// <summary>Each channel of the map times that channel's gate value.</summary>
    public static float[] Scale(float[] map, Shape shape, float[] gate)
    {
        int plane = shape.Height * shape.Width;
        var output = new float[map.Length];
        for (int i = 0; i < map.Length; i++) output[i] = map[i] * gate[i / plane];
        return output;
    }

    public static float[] Concat(IReadOnlyList<float[]> inputs)
    {
        var output = new float[inputs.Sum(i => i.Length)];
        int offset = 0;
        foreach (var i in inputs)
        {
            i.CopyTo(output, offset);
            offset += i.Length;
        }
        return output;
    }

    public static float[] Softmax(float[] logits)
    {
        if (logits.Length == 0) return [];
        float max = logits.Max();
        var e = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < e.Length; i++) sum += e[i] = Math.Exp(logits[i] - max);
        var output = new float[logits.Length];
        for (int i = 0; i < e.Length; i++) output[i] = (float)(e[i] / sum);
        return output;
    }

    /// <summary>y += a * x over equal-length spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy(Span<float> y, ReadOnlySpan<float> x, float a)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<float>.Count)
        {
            var va = new Vector<float>(a);
            var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            for (int j = 0; j < vy.Length; j++) vy[j] += vx[j] * va;
            i = vy.Length * Vector<float>.Count;
        }
        for (; i < y.Length; i++) y[i] += x[i] * a;
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -((-a) / b);
    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
