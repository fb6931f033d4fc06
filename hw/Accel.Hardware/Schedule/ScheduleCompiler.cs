using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Program;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Hardware.Schedule;

/// <summary>
/// Network -> schedule. Places every tensor in DRAM (concat by placement), tiles every layer
/// onto the array and the on-chip slots (row stripes of the input and output buffers, chunks of
/// output tiles in the weight buffer, accumulator bands inside a stripe), emits the instruction
/// stream (loads, computes and stores with the waits that order them) and predicts its cycles.
/// Errors name the layer and the resource.
/// </summary>
public static class ScheduleCompiler
{
    /// <summary>
    /// Plans <paramref name="nodes"/> (default: the whole network), which read
    /// <paramref name="inputTensor"/> (the network input or any node's output).
    /// </summary>
    public static EngineSchedule Plan(Network network, EngineConfig config, IReadOnlyList<Node>? nodes = null,
        string inputTensor = Network.InputName, MemoryModel? memory = null)
    {
        config.Validate();
        network.RequireEngineOperators("the engine schedule");
        memory = (memory ?? MemoryModel.PynqZ2HpPort).Validate();
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
                if (!inPlan.Contains(input) || network[input].Op is not (ConvLayer or MaxPoolLayer or AvgPoolLayer or ActivationLayer or ChannelShuffleLayer or ChannelSliceLayer))
                    throw new ScheduleException($"layer '{concat.Name}': input '{input}' must be computed in this schedule by a convolution, a pool, an activation, a shuffle or a slice so it can be placed into the concat");
                if (!concatOf.TryAdd(input, concat))
                    throw new ScheduleException($"layer '{input}': feeds two concats; the engine places a tensor in one");
            }

        // ---- DRAM placement (word addresses; a word is DramWordBytes bytes) ----
        // A conv on the array can write any lane map, so a dense conv output added to a tensor with holes
        // takes that tensor's layout (ShuffleNet v1's 24 + 216 shortcut); placement then runs again with it.
        var convLayouts = new Dictionary<string, TensorPlacement>(StringComparer.Ordinal);
        Dictionary<string, TensorPlacement> tensors;
        long tensorWords;
        while (true)
        {
            var retake = new Dictionary<string, TensorPlacement>(StringComparer.Ordinal);
            (tensors, tensorWords) = PlaceTensors(network, config, nodes, inputTensor, inputShape, unsignedTensors, concatOf, convLayouts, retake);
            if (retake.Count == 0) break;
            foreach (var (conv, layout) in retake) convLayouts.Add(conv, layout);
        }

        // ---- layers: tiling and steps ----
        var ops = new List<ScheduledOp>();
        var steps = new List<LayerStep>();
        long weightWords = 0;
        int paramWords = 0;
        foreach (var node in nodes)
        {
            int layer = ops.Count;
            switch (node.Op)
            {
                case ConvLayer conv when OnDepthwiseUnit(config, node, tensors[node.Inputs[0]]) && SameLayout(tensors[node.Inputs[0]], tensors[node.Name]):
                    ops.Add(LayerTiling.Depthwise(config, memory, layer, node, conv, tensors[node.Inputs[0]], tensors[node.Name], unsignedTensors,
                        tensorWords + weightWords, paramWords, steps));
                    weightWords += ops[^1].WeightWords(config);
                    paramWords += ops[^1].ParamWords;
                    break;
                case ConvLayer conv:
                    ops.Add(LayerTiling.Conv(config, layer, node, conv, tensors[node.Inputs[0]], tensors[node.Name], unsignedTensors,
                        tensorWords + weightWords, paramWords, steps));
                    weightWords += ops[^1].WeightWords(config);
                    paramWords += ops[^1].ParamWords;
                    break;
                case MaxPoolLayer pool:
                    RequireSameLanes(node, tensors[node.Inputs[0]], tensors[node.Name], lanes);
                    ops.Add(LayerTiling.MaxPool(config, memory, layer, node, pool, tensors[node.Inputs[0]], tensors[node.Name], steps));
                    break;
                case GlobalAvgPoolLayer:
                    ops.Add(LayerTiling.AvgPool(config, layer, node, tensors[node.Inputs[0]], tensors[node.Name], paramWords, steps));
                    paramWords += 1;
                    break;
                case AddLayer add:
                    ops.Add(EltwiseTiling.Add(config, layer, node, add, tensors[node.Inputs[0]], tensors[node.Inputs[1]], tensors[node.Name], paramWords, steps));
                    paramWords += 1;
                    break;
                case ActivationLayer:
                    RequireSameLanes(node, tensors[node.Inputs[0]], tensors[node.Name], lanes);
                    ops.Add(EltwiseTiling.Lookup(config, layer, node, tensors[node.Inputs[0]], tensors[node.Name], paramWords, steps));
                    paramWords += EltwiseUnit.TableWords(config);
                    break;
                case AvgPoolLayer avg:
                    RequireSameLanes(node, tensors[node.Inputs[0]], tensors[node.Name], lanes);
                    ops.Add(EltwiseTiling.AvgPool(config, layer, node, avg, tensors[node.Inputs[0]], tensors[node.Name], paramWords, steps));
                    paramWords += avg.KernelSize * avg.KernelSize;
                    break;
                case ScaleLayer:
                    ops.Add(EltwiseTiling.Scale(config, layer, node, tensors[node.Inputs[0]], tensors[node.Inputs[1]], tensors[node.Name], paramWords, steps));
                    paramWords += 1;
                    break;
                case ChannelShuffleLayer or ChannelSliceLayer:
                    ops.Add(EltwiseTiling.Gather(config, layer, node, tensors[node.Inputs[0]], tensors[node.Name], paramWords, steps, out int gatherWords));
                    paramWords += gatherWords;
                    break;
                case ConcatLayer or DropoutLayer:
                    break;
                default:
                    throw new ScheduleException($"layer '{node.Name}': {node.Op.GetType().Name.Replace("Layer", "")} is not an operation this engine runs (conv, grouped and depthwise conv, max and average pool, global average pool, concat, add, activation, scale, shuffle, slice)");
            }
        }

        var instructions = ProgramBuilder.Emit(config, memory, steps);
        var resolved = config with
        {
            ParamDepth = Resolve(config.ParamDepth, Math.Max(paramWords, 2), "channel-parameter"),
            DepthwiseUnit = config.DepthwiseUnit ?? ops.Any(o => o.Opcode == Opcode.DwConv),
        };
        var format = new InstructionFormat(resolved);
        long dramBytes = EngineSchedule.ProgramPlacement(config, tensorWords + weightWords) + (instructions.Count + 1L) * format.DramBytes;
        if (dramBytes > 1L << EngineConfig.DramAddressBits)
            throw new ScheduleException($"the schedule needs {dramBytes} bytes of DRAM (tensors, weights and program), more than the {EngineConfig.DramAddressBits}-bit address reaches");
        foreach (var insn in instructions)
        {
            try { format.Encode(insn.Fields); }
            catch (ScheduleException e) { throw new ScheduleException($"layer '{ops[insn.Layer].Node}': {e.Message}"); }
        }
        var (timed, costed, total) = CostModel.Simulate(resolved, memory, instructions, ops);
        return new EngineSchedule(resolved, memory, network.Name, inputTensor, nodes, tensors, costed, timed,
            tensorWords, weightWords, paramWords, total);
    }

    /// <summary>
    /// Places the input and every tensor of <paramref name="nodes"/> in DRAM: concat inputs in their
    /// slot, lane-wise outputs in their input's layout, convs listed in <paramref name="convLayouts"/>
    /// in the layout given there, everything else dense. Adds <paramref name="retake"/> entries for
    /// convs that must take another layout before the placement holds.
    /// </summary>
    private static (Dictionary<string, TensorPlacement> Tensors, long Words) PlaceTensors(Network network, EngineConfig config,
        IReadOnlyList<Node> nodes, string inputTensor, Shape inputShape, IReadOnlySet<string> unsignedTensors, IReadOnlyDictionary<string, Node> concatOf,
        IReadOnlyDictionary<string, TensorPlacement> convLayouts, Dictionary<string, TensorPlacement> retake)
    {
        int lanes = config.Lanes;
        var tensors = new Dictionary<string, TensorPlacement>(StringComparer.Ordinal);
        long next = 0;
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
                    tensors[node.Name] = tensors[node.Inputs[0]] with { Name = node.Name, Owner = tensors[node.Inputs[0]].Root };
                    continue;
            }
            if (concatOf.TryGetValue(node.Name, out var concat))
            {
                var segments = new List<ChannelSegment>();
                int group = 0, logical = 0;
                foreach (var input in concat.Inputs)
                {
                    var shape = network[input].Output;
                    long inputBase = next + (long)group * shape.Height * shape.Width;
                    bool unsignedInput = unsignedTensors.Contains(input);
                    // A lane-wise unit writes each channel in the lane its input holds it in, so its slot of the
                    // concat takes the input's layout (holes included); everything else is stored dense.
                    if (LaneWiseSource(network[input], tensors) is { } source)
                    {
                        segments.AddRange(source.Segments.Select(sg => new ChannelSegment(logical + sg.LogicalStart, sg.Count, group + sg.FirstGroup)));
                        tensors[input] = new TensorPlacement(input, shape, inputBase, source.Groups, unsignedInput, source.Segments) { Owner = concat.Name };
                        group += source.Groups;
                    }
                    else
                    {
                        segments.Add(new ChannelSegment(logical, shape.Channels, group));
                        tensors[input] = TensorPlacement.Dense(input, shape, inputBase, lanes, unsignedInput) with { Owner = concat.Name };
                        group += TensorPlacement.GroupsFor(shape.Channels, lanes);
                    }
                    logical += shape.Channels;
                }
                var placed = new TensorPlacement(concat.Name, concat.Output, next, group, unsignedTensors.Contains(concat.Name), segments);
                tensors[concat.Name] = placed;
                next += placed.Words;
            }
            else if (node.Op is MaxPoolLayer or GlobalAvgPoolLayer or AvgPoolLayer or ActivationLayer or ScaleLayer || OnDepthwiseUnit(config, node, tensors[node.Inputs[0]]))
            {
                // Lane-wise units (pools, lookups, the scale's map, the depthwise unit): the output keeps
                // its (first) input's channel layout, holes included.
                var source = tensors[node.Inputs[0]];
                tensors[node.Name] = new TensorPlacement(node.Name, node.Output, next, source.Groups, unsignedTensors.Contains(node.Name), source.Segments);
                next += tensors[node.Name].Words;
            }
            else if (node.Op is AddLayer)
            {
                // Word-by-word: the sum keeps its operands' layout. A dense conv operand of a sum with a tensor
                // with holes is placed again in that layout; until then the sum takes its partner's.
                var (a, b) = (tensors[node.Inputs[0]], tensors[node.Inputs[1]]);
                if (ConvToRelayout(config, nodes, tensors, convLayouts, a, b) is { } relayout)
                {
                    retake[relayout.Conv] = relayout.Layout;
                    tensors[node.Name] = new TensorPlacement(node.Name, node.Output, next, relayout.Layout.Groups, unsignedTensors.Contains(node.Name), relayout.Layout.Segments);
                }
                else tensors[node.Name] = EltwiseTiling.AddPlacement(node, a, b, next, unsignedTensors.Contains(node.Name), lanes);
                next += tensors[node.Name].Words;
            }
            else if (convLayouts.TryGetValue(node.Name, out var partner))
            {
                // The array writes any lane map (a hole is a column with zero weights and M = 0).
                tensors[node.Name] = new TensorPlacement(node.Name, node.Output, next, partner.Groups, unsignedTensors.Contains(node.Name), partner.Segments);
                next += tensors[node.Name].Words;
            }
            else
            {
                tensors[node.Name] = TensorPlacement.Dense(node.Name, node.Output, next, lanes, unsignedTensors.Contains(node.Name));
                next += tensors[node.Name].Words;
            }
        }
        return (tensors, next);
    }

    /// <summary>
    /// For an add of <paramref name="a"/> and <paramref name="b"/> in different layouts: the operand that is
    /// a dense array conv of this plan (not a concat slot, not yet moved) and the other's layout; else null
    /// (the layouts agree, or the add is refused by <see cref="EltwiseTiling.AddPlacement"/>).
    /// </summary>
    private static (string Conv, TensorPlacement Layout)? ConvToRelayout(EngineConfig config, IReadOnlyList<Node> nodes,
        IReadOnlyDictionary<string, TensorPlacement> tensors, IReadOnlyDictionary<string, TensorPlacement> convLayouts, TensorPlacement a, TensorPlacement b)
    {
        if (a.Shape != b.Shape || a.Im2Col is not null || b.Im2Col is not null || a.SameLanes(b, config.Lanes))
            return null;
        // A concat input (or a dropout's alias) has an owner: its place is the concat's.
        bool Movable(TensorPlacement t) =>
            t.Owner is null && !convLayouts.ContainsKey(t.Name)
            && nodes.FirstOrDefault(n => n.Name == t.Name) is { Op: ConvLayer } node
            && t.Segments is [{ LogicalStart: 0, FirstGroup: 0 }]
            && !OnDepthwiseUnit(config, node, tensors[node.Inputs[0]]);
        return Movable(a) ? (a.Name, b) : Movable(b) ? (b.Name, a) : null;
    }

    /// <summary>
    /// The convolution to pack im2col-style, if any: the only reader of the schedule's input, with
    /// fewer input channels than the array has rows and a kernel larger than 1x1 (SqueezeNet's
    /// conv1: 3 channels would use 3 of 16 rows; 27 packed channels use 27 of 32).
    /// </summary>
    private static Node? PackedInputConv(Network network, EngineConfig config, IReadOnlyList<Node> nodes, string inputTensor, Shape inputShape)
    {
        var readers = nodes.Where(n => n.Inputs.Contains(inputTensor)).ToList();
        if (readers is not [{ Op: ConvLayer conv } reader] || conv.KernelSize == 1 || conv.Groups != 1 || inputShape.Channels >= config.Rows) return null;
        int packedGroups = TensorPlacement.GroupsFor(inputShape.Channels * conv.KernelSize * conv.KernelSize, config.Rows);
        int plainPasses = TensorPlacement.GroupsFor(inputShape.Channels, config.Rows) * conv.KernelSize * conv.KernelSize;
        return packedGroups < plainPasses ? reader : null;
    }

    /// <summary>
    /// A depthwise convolution (groups = input channels = output channels) runs on the depthwise
    /// unit unless the configuration leaves it out, when its kernel fits the unit; its output then keeps its
    /// input's channel layout, like a pool. Everything else (and a packed input) runs on the array.
    /// </summary>
    public static bool OnDepthwiseUnit(EngineConfig config, Node node, TensorPlacement input) =>
        node.Op is ConvLayer conv && config.DepthwiseUnit != false && conv.Groups > 1 && conv.Groups == input.Shape.Channels
        && conv.OutChannels == conv.Groups && conv.KernelSize <= config.DepthwiseMaxKernel && input.Im2Col is null;

    /// <summary>The placed input of a lane-wise layer (max pool, KxK average pool, activation), else null.</summary>
    private static TensorPlacement? LaneWiseSource(Node node, IReadOnlyDictionary<string, TensorPlacement> tensors) =>
        node.Op is MaxPoolLayer or AvgPoolLayer or ActivationLayer && tensors.TryGetValue(node.Inputs[0], out var source) && source.Im2Col is null
            ? source : null;

    /// <summary>Lane-wise units keep every channel in its lane: refuse a placement that would move one.</summary>
    private static void RequireSameLanes(Node node, TensorPlacement input, TensorPlacement output, int lanes)
    {
        if (!input.SameLanes(output, lanes))
            throw new ScheduleException($"layer '{node.Name}': works lane by lane, but its output '{output.Name}' would store channels in other lanes than its input '{input.Name}'");
    }

    /// <summary>True when the two tensors put every channel in the same lane of the same group (a depthwise output written into a concat may not).</summary>
    private static bool SameLayout(TensorPlacement a, TensorPlacement b) =>
        a.Groups == b.Groups && a.Segments.Count == b.Segments.Count && a.Segments.Zip(b.Segments).All(p => p.First == p.Second);

    private static int Resolve(int? configured, int needed, string buffer)
    {
        if (configured is not { } depth) return needed;
        if (needed <= depth) return depth;
        throw new ScheduleException($"the {buffer} buffer needs {needed} words, the configuration has {depth}");
    }
}
