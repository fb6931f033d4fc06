using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Hardware.Schedule;

/// <summary>
/// Network -> schedule: places every tensor in the activation buffer (concat by placement),
/// tiles every convolution onto the array (output-channel tiles of Cols, input groups of Rows,
/// row bands that fit the accumulator), assigns weight and parameter buffer ranges, predicts
/// cycles, and resolves buffer depths left unset. Errors name the layer and the resource.
/// </summary>
public static class ScheduleCompiler
{
    /// <summary>
    /// Plans <paramref name="nodes"/> (default: the whole network), which read
    /// <paramref name="inputTensor"/> (the network input or any node's output).
    /// </summary>
    public static EngineSchedule Plan(Network network, EngineConfig config, IReadOnlyList<Node>? nodes = null, string inputTensor = Network.InputName)
    {
        config.Validate();
        nodes ??= network.Nodes;
        int lanes = config.Lanes;
        var unsignedTensors = TensorGroups.UnsignedTensors(network);
        var inputShape = inputTensor == Network.InputName ? network.InputShape : network[inputTensor].Output;

        // Concat inputs are written straight into their slot of the concatenated tensor.
        var concatOf = new Dictionary<string, Node>(StringComparer.Ordinal);
        var inPlan = nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var concat in nodes.Where(n => n.Op is ConcatLayer))
            foreach (var input in concat.Inputs)
            {
                if (!inPlan.Contains(input) || network[input].Op is not (ConvLayer or MaxPoolLayer))
                    throw new ScheduleException($"layer '{concat.Name}': input '{input}' must be computed in this schedule by a convolution or a pool so it can be placed into the concat");
                if (!concatOf.TryAdd(input, concat))
                    throw new ScheduleException($"layer '{input}': feeds two concats; the engine places a tensor in one");
            }

        var tensors = new Dictionary<string, TensorPlacement>(StringComparer.Ordinal);
        int next = 0;
        tensors[inputTensor] = TensorPlacement.Dense(inputTensor, inputShape, 0, lanes, unsignedTensors.Contains(inputTensor));
        var packed = PackedInputConv(network, config, nodes, inputTensor, inputShape);
        if (packed is not null)
        {
            var conv = (ConvLayer)packed.Op;
            var shape = new Shape(inputShape.Channels * conv.KernelSize * conv.KernelSize, packed.Output.Height, packed.Output.Width);
            tensors[inputTensor] = TensorPlacement.Dense(inputTensor, shape, 0, lanes, unsignedTensors.Contains(inputTensor))
                with { Im2Col = new Im2Col(inputShape, conv.KernelSize, conv.Stride, conv.Padding) };
        }
        next += tensors[inputTensor].Words;

        foreach (var node in nodes)
        {
            if (tensors.ContainsKey(node.Name)) continue;
            switch (node.Op)
            {
                case ConcatLayer:
                    throw new ScheduleException($"layer '{node.Name}': concat appears before its inputs");
                case DropoutLayer:
                    tensors[node.Name] = tensors[node.Inputs[0]] with { Name = node.Name };
                    continue;
            }
            if (concatOf.TryGetValue(node.Name, out var concat))
            {
                var segments = new List<ChannelSegment>();
                int group = 0, logical = 0;
                foreach (var input in concat.Inputs)
                {
                    var shape = network[input].Output;
                    segments.Add(new ChannelSegment(logical, shape.Channels, group));
                    tensors[input] = TensorPlacement.Dense(input, shape, next + group * shape.Height * shape.Width, lanes, unsignedTensors.Contains(input));
                    group += TensorPlacement.GroupsFor(shape.Channels, lanes);
                    logical += shape.Channels;
                }
                var placed = new TensorPlacement(concat.Name, concat.Output, next, group, unsignedTensors.Contains(concat.Name), segments);
                tensors[concat.Name] = placed;
                next += placed.Words;
            }
            else if (node.Op is MaxPoolLayer or GlobalAvgPoolLayer)
            {
                // Pooling is lane-wise: the output keeps its input's channel layout (holes included).
                var source = tensors[node.Inputs[0]];
                tensors[node.Name] = new TensorPlacement(node.Name, node.Output, next, source.Groups, unsignedTensors.Contains(node.Name), source.Segments);
                next += tensors[node.Name].Words;
            }
            else
            {
                tensors[node.Name] = TensorPlacement.Dense(node.Name, node.Output, next, lanes, unsignedTensors.Contains(node.Name));
                next += tensors[node.Name].Words;
            }
        }

        var ops = new List<ScheduledOp>();
        int weightWords = 0, paramWords = 0;
        foreach (var node in nodes)
        {
            switch (node.Op)
            {
                case ConvLayer conv:
                    ops.Add(PlanConv(config, node, conv, tensors[node.Inputs[0]], tensors[node.Name], unsignedTensors, ref weightWords, ref paramWords));
                    break;
                case MaxPoolLayer pool:
                    ops.Add(PlanMaxPool(config, node, pool, tensors[node.Inputs[0]], tensors[node.Name]));
                    break;
                case GlobalAvgPoolLayer:
                    ops.Add(PlanAvgPool(config, node, tensors[node.Inputs[0]], tensors[node.Name], ref paramWords));
                    break;
                case ConcatLayer or DropoutLayer:
                    break;
                default:
                    throw new ScheduleException($"layer '{node.Name}': {node.Op.GetType().Name.Replace("Layer", "")} is not an operation this engine runs (conv, max pool, global average pool, concat)");
            }
        }

        var resolved = config with
        {
            ActivationDepth = Resolve(config.ActivationDepth, Math.Max(next, 2), "activation", tensors.Values, lanes),
            WeightDepth = Resolve(config.WeightDepth, Math.Max(weightWords, 2), "weight", null, lanes),
            ParamDepth = Resolve(config.ParamDepth, Math.Max(paramWords, 2), "channel-parameter", null, lanes),
            ProgramDepth = Resolve(config.ProgramDepth, Math.Max(ops.Count + 1, 2), "program", null, lanes),
        };
        var format = new InstructionFormat(resolved);
        foreach (var op in ops)
        {
            try { format.Encode(op.Fields); }
            catch (ScheduleException e) { throw new ScheduleException($"layer '{op.Node}': {e.Message}"); }
        }
        return new EngineSchedule(resolved, network.Name, inputTensor, nodes, tensors, ops, next, weightWords, paramWords);
    }

    /// <summary>
    /// The convolution to pack im2col-style, if any: the only reader of the schedule's input, with
    /// fewer input channels than the array has rows and a kernel larger than 1x1 (SqueezeNet's
    /// conv1: 3 channels would use 3 of 16 rows; 27 packed channels use 27 of 32).
    /// </summary>
    private static Node? PackedInputConv(Network network, EngineConfig config, IReadOnlyList<Node> nodes, string inputTensor, Shape inputShape)
    {
        var readers = nodes.Where(n => n.Inputs.Contains(inputTensor)).ToList();
        if (readers is not [{ Op: ConvLayer conv } reader] || conv.KernelSize == 1 || inputShape.Channels >= config.Rows) return null;
        int packedGroups = TensorPlacement.GroupsFor(inputShape.Channels * conv.KernelSize * conv.KernelSize, config.Rows);
        int plainPasses = TensorPlacement.GroupsFor(inputShape.Channels, config.Rows) * conv.KernelSize * conv.KernelSize;
        return packedGroups < plainPasses ? reader : null;
    }

    private static int Resolve(int? configured, int needed, string buffer, IEnumerable<TensorPlacement>? tensors, int lanes)
    {
        if (configured is not { } depth) return needed;
        if (needed <= depth) return depth;
        var culprit = tensors?.OrderBy(t => t.Base).FirstOrDefault(t => t.Base + t.Words > depth);
        string who = culprit is null ? "" : $"tensor '{culprit.Name}' ({culprit.Shape}, {culprit.Words} words at {culprit.Base}) does not fit; ";
        throw new ScheduleException($"{who}the {buffer} buffer needs {needed} words, the configuration has {depth}");
    }

    private static ScheduledOp PlanConv(EngineConfig c, Node node, ConvLayer conv, TensorPlacement input, TensorPlacement output,
        IReadOnlySet<string> unsignedTensors, ref int weightWords, ref int paramWords)
    {
        var o = node.Output;
        // A packed input is already the im2col of the window: a 1x1 convolution over it.
        var (kernel, stride, pad) = input.Im2Col is null ? (conv.KernelSize, conv.Stride, conv.Padding) : (1, 1, 0);
        if (o.Width > c.AccumulatorDepth)
            throw new ScheduleException($"layer '{node.Name}': an output row of {o.Width} pixels does not fit the accumulator ({c.AccumulatorDepth} pixels per bank)");
        // As few bands as the accumulator allows, of balanced heights: a short last band would leave
        // the next band waiting for the previous (long) band's drain.
        int maxRows = Math.Min(o.Height, c.AccumulatorDepth / o.Width);
        int bands = (o.Height + maxRows - 1) / maxRows;
        int bandRows = (o.Height + bands - 1) / bands;
        int tiles = (conv.OutChannels + c.Cols - 1) / c.Cols;
        int kk = kernel * kernel;
        int passes = input.Groups * kk;
        var (lo, hi) = Int8Arithmetic.OutputRange(conv.Relu, unsignedTensors.Contains(node.Name));
        var fields = new Dictionary<string, long>
        {
            ["opcode"] = (long)Opcode.Conv,
            ["in_base"] = input.Base, ["in_h"] = input.Shape.Height, ["in_w"] = input.Shape.Width, ["in_plane"] = input.Plane,
            ["in_groups"] = input.Groups, ["in_unsigned"] = input.Unsigned ? 1 : 0,
            ["out_base"] = output.Base, ["out_h"] = o.Height, ["out_w"] = o.Width, ["out_plane"] = output.Plane,
            ["kernel"] = kernel, ["stride"] = stride, ["pad"] = pad,
            ["oc_tiles"] = tiles, ["bands"] = bands, ["band_rows"] = bandRows, ["band_out_step"] = (long)bandRows * o.Width,
            ["wgt_base"] = weightWords, ["wgt_oct_stride"] = (long)passes * c.Rows, ["passes_per_band"] = passes,
            ["par_base"] = paramWords, ["lo"] = lo, ["hi"] = hi,
        };
        CheckDims(node.Name, fields);
        weightWords += tiles * passes * c.Rows;
        paramWords += tiles;
        var cost = CostModel.Conv(c, o.Height, o.Width, tiles, bandRows, passes, node.Macs);
        return new ScheduledOp(node.Name, node.Group, Opcode.Conv, input, output, fields, node.Macs, cost);
    }

    private static ScheduledOp PlanMaxPool(EngineConfig c, Node node, MaxPoolLayer pool, TensorPlacement input, TensorPlacement output)
    {
        var o = node.Output;
        if (output.Groups != input.Groups)
            throw new ScheduleException($"layer '{node.Name}': a max pool writing into a concat slot with a different channel layout is not supported");
        var fields = new Dictionary<string, long>
        {
            ["opcode"] = (long)Opcode.MaxPool,
            ["in_base"] = input.Base, ["in_h"] = input.Shape.Height, ["in_w"] = input.Shape.Width, ["in_plane"] = input.Plane,
            ["in_groups"] = input.Groups, ["in_unsigned"] = input.Unsigned ? 1 : 0,
            ["out_base"] = output.Base, ["out_h"] = o.Height, ["out_w"] = o.Width, ["out_plane"] = output.Plane,
            ["kernel"] = pool.KernelSize, ["stride"] = pool.Stride, ["pad"] = pool.Padding,
        };
        CheckDims(node.Name, fields);
        return new ScheduledOp(node.Name, node.Group, Opcode.MaxPool, input, output, fields, 0,
            CostModel.MaxPool(c, input.Groups, o.Height, o.Width, pool.KernelSize));
    }

    private static ScheduledOp PlanAvgPool(EngineConfig c, Node node, TensorPlacement input, TensorPlacement output, ref int paramWords)
    {
        var fields = new Dictionary<string, long>
        {
            ["opcode"] = (long)Opcode.AvgPool,
            ["in_base"] = input.Base, ["in_h"] = input.Shape.Height, ["in_w"] = input.Shape.Width, ["in_plane"] = input.Plane,
            ["in_groups"] = input.Groups, ["in_unsigned"] = input.Unsigned ? 1 : 0,
            ["out_base"] = output.Base, ["out_h"] = 1, ["out_w"] = 1, ["out_plane"] = 1,
            ["par_base"] = paramWords,
            // Rule GLOBAL_AVGPOOL requantizes to the signed int8 range.
            ["lo"] = Int8Arithmetic.ActivationMin, ["hi"] = Int8Arithmetic.ActivationMax,
        };
        CheckDims(node.Name, fields);
        paramWords += 1;
        return new ScheduledOp(node.Name, node.Group, Opcode.AvgPool, input, output, fields, 0,
            CostModel.AvgPool(input.Groups, input.Plane));
    }

    private static void CheckDims(string node, Dictionary<string, long> fields)
    {
        foreach (var name in new[] { "in_h", "in_w", "out_h", "out_w", "in_groups", "oc_tiles", "bands", "band_rows" })
            if (fields.TryGetValue(name, out long v) && v >= 1 << EngineConfig.DimBits)
                throw new ScheduleException($"layer '{node}': {name} = {v} exceeds the engine's {EngineConfig.DimBits}-bit dimension fields");
        foreach (var name in new[] { "kernel", "stride", "pad" })
            if (fields.TryGetValue(name, out long v) && v > 15)
                throw new ScheduleException($"layer '{node}': {name} = {v} exceeds 15");
    }
}
