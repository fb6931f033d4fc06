namespace Accel.Model.Networks;

/// <summary>A description that cannot be a network; names the layer and the field at fault.</summary>
public sealed class NetworkException(string layer, string field, string message)
    : Exception($"layer '{layer}', field '{field}': {message}")
{
    public string Layer { get; } = layer;
    public string Field { get; } = field;
}

/// <summary>
/// A primitive operation after Fire modules are expanded and dropouts removed: what the
/// golden model, the quantizer and the RTL schedule all execute. <see cref="Group"/> is
/// the top-level layer it came from (a Fire module's name for its three convs and concat).
/// </summary>
public sealed record Node(
    string Name,
    Layer Op,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<Shape> InputShapes,
    Shape Output,
    long Parameters,
    long Macs,
    string Group)
{
    public Shape Input => InputShapes[0];
}

/// <summary>Per top-level layer figures for tables: output shape, parameter and MAC counts.</summary>
public sealed record LayerSummary(string Name, string Kind, Shape Output, long Parameters, long Macs);

/// <summary>
/// A validated network: the layer list as described, plus its primitive node graph with
/// inferred shapes. Construction checks everything; an inconsistent description throws
/// <see cref="NetworkException"/> naming the layer and field.
/// </summary>
public sealed class Network
{
    public const string InputName = "input";

    private readonly Dictionary<string, Node> _byName;

    public Network(string name, Shape input, IReadOnlyList<Layer> layers, bool outputSoftmax = false)
    {
        Name = name;
        InputShape = input;
        Layers = layers;
        OutputSoftmax = outputSoftmax;
        if (input.Channels < 1 || input.Height < 1 || input.Width < 1)
            throw new NetworkException(InputName, "shape", $"input shape {input} must be positive in every dimension");
        if (layers.Count == 0)
            throw new NetworkException(name, "layers", "a network needs at least one layer");

        var nodes = new List<Node>();
        var summaries = new List<LayerSummary>();
        // Output shape and producing node of every name a layer may reference.
        var shapes = new Dictionary<string, Shape> { [InputName] = input };
        var alias = new Dictionary<string, string> { [InputName] = InputName };
        string previous = InputName;

        foreach (var layer in layers)
        {
            if (string.IsNullOrWhiteSpace(layer.Name))
                throw new NetworkException($"#{summaries.Count}", "name", "every layer needs a name");
            if (alias.ContainsKey(layer.Name))
                throw new NetworkException(layer.Name, "name", "duplicate layer name");

            var inputs = (layer.Inputs ?? [previous]).Select(i =>
                alias.TryGetValue(i, out var a) ? a
                : throw new NetworkException(layer.Name, "inputs", $"unknown input '{i}' (inputs must name an earlier layer or '{InputName}')")).ToList();
            var inShapes = inputs.Select(i => shapes[i]).ToList();
            int before = nodes.Count;

            switch (layer)
            {
                case ConvLayer c:
                    RequireSingle(layer, inputs);
                    nodes.Add(MakeConv(c, inputs[0], inShapes[0], layer.Name));
                    break;
                case MaxPoolLayer p:
                    RequireSingle(layer, inputs);
                    nodes.Add(MakePool(p, inputs[0], inShapes[0]));
                    break;
                case GlobalAvgPoolLayer g:
                    RequireSingle(layer, inputs);
                    nodes.Add(new Node(g.Name, g, inputs, inShapes, inShapes[0] with { Height = 1, Width = 1 }, 0, 0, g.Name));
                    break;
                case ConcatLayer cat:
                    nodes.Add(MakeConcat(cat, cat.Name, inputs, inShapes, cat.Name));
                    break;
                case FireLayer f:
                    RequireSingle(layer, inputs);
                    Positive(f.Name, "squeeze", f.Squeeze);
                    Positive(f.Name, "expand1x1", f.Expand1x1);
                    Positive(f.Name, "expand3x3", f.Expand3x3);
                    var sq = MakeConv(new ConvLayer(f.SqueezeName, f.Squeeze, 1), inputs[0], inShapes[0], f.Name);
                    var e1 = MakeConv(new ConvLayer(f.Expand1x1Name, f.Expand1x1, 1), sq.Name, sq.Output, f.Name);
                    var e3 = MakeConv(new ConvLayer(f.Expand3x3Name, f.Expand3x3, 3, 1, 1), sq.Name, sq.Output, f.Name);
                    nodes.AddRange([sq, e1, e3]);
                    nodes.Add(MakeConcat(new ConcatLayer(f.ConcatName), f.ConcatName, [e1.Name, e3.Name], [e1.Output, e3.Output], f.Name));
                    break;
                case AvgPoolLayer a:
                    RequireSingle(layer, inputs);
                    nodes.Add(MakeAvgPool(a, inputs[0], inShapes[0]));
                    break;
                case AddLayer add:
                    if (inputs.Count != 2)
                        throw new NetworkException(add.Name, "inputs", $"add takes exactly two inputs, got {inputs.Count}");
                    if (inShapes[0] != inShapes[1])
                        throw new NetworkException(add.Name, "inputs", $"input '{inputs[0]}' is {inShapes[0]} but '{inputs[1]}' is {inShapes[1]}: add needs equal shapes");
                    nodes.Add(new Node(add.Name, add, inputs, inShapes, inShapes[0], 0, 0, add.Name));
                    break;
                case ActivationLayer act:
                    RequireSingle(layer, inputs);
                    nodes.Add(new Node(act.Name, act, inputs, inShapes, inShapes[0], 0, 0, act.Name));
                    break;
                case ChannelShuffleLayer sh:
                    RequireSingle(layer, inputs);
                    Positive(sh.Name, "groups", sh.Groups);
                    if (inShapes[0].Channels % sh.Groups != 0)
                        throw new NetworkException(sh.Name, "groups", $"{inShapes[0].Channels} input channels do not split into {sh.Groups} groups");
                    nodes.Add(new Node(sh.Name, sh, inputs, inShapes, inShapes[0], 0, 0, sh.Name));
                    break;
                case ChannelSliceLayer sl:
                    RequireSingle(layer, inputs);
                    Positive(sl.Name, "count", sl.Count);
                    if (sl.Start < 0 || sl.Start + sl.Count > inShapes[0].Channels)
                        throw new NetworkException(sl.Name, "start", $"channels [{sl.Start}, {sl.Start + sl.Count}) are not within the input's {inShapes[0].Channels}");
                    nodes.Add(new Node(sl.Name, sl, inputs, inShapes, inShapes[0] with { Channels = sl.Count }, 0, 0, sl.Name));
                    break;
                case ScaleLayer sc:
                    if (inputs.Count != 2)
                        throw new NetworkException(sc.Name, "inputs", $"scale takes exactly two inputs (the map and the per-channel scales), got {inputs.Count}");
                    if (inShapes[1] != new Shape(inShapes[0].Channels, 1, 1))
                        throw new NetworkException(sc.Name, "inputs", $"the scales '{inputs[1]}' are {inShapes[1]}, expected {inShapes[0].Channels}x1x1 for the {inShapes[0]} input");
                    // One multiply per element.
                    nodes.Add(new Node(sc.Name, sc, inputs, inShapes, inShapes[0], 0, inShapes[0].Elements, sc.Name));
                    break;
                case DropoutLayer d:
                    RequireSingle(layer, inputs);
                    if (d.Ratio is < 0 or >= 1)
                        throw new NetworkException(d.Name, "ratio", $"dropout ratio {d.Ratio} must be in [0, 1)");
                    // Inference no-op: later references resolve to the dropout's own input.
                    alias[d.Name] = inputs[0];
                    summaries.Add(new LayerSummary(d.Name, d.Kind, inShapes[0], 0, 0));
                    previous = d.Name;
                    continue;
                default:
                    throw new NetworkException(layer.Name, "kind", $"unsupported layer type {layer.GetType().Name}");
            }

            foreach (var n in nodes.Skip(before))
            {
                if (shapes.ContainsKey(n.Name))
                    throw new NetworkException(n.Name, "name", "duplicate layer name");
                shapes[n.Name] = n.Output;
            }
            var last = nodes[^1];
            alias[layer.Name] = last.Name;
            var added = nodes.Skip(before).ToList();
            summaries.Add(new LayerSummary(layer.Name, SummaryKind(layer, added[0]), last.Output, added.Sum(n => n.Parameters), added.Sum(n => n.Macs)));
            previous = layer.Name;
        }

        Nodes = nodes;
        Summaries = summaries;
        _byName = nodes.ToDictionary(n => n.Name);
        OutputNode = alias[previous];
        if (OutputNode == InputName)
            throw new NetworkException(name, "layers", "the network has no operation besides dropout");
        OutputShape = shapes[OutputNode];
        Parameters = nodes.Sum(n => n.Parameters);
        Macs = nodes.Sum(n => n.Macs);
    }

    public string Name { get; }
    public Shape InputShape { get; }
    public IReadOnlyList<Layer> Layers { get; }
    /// <summary>The source ends in a softmax (float path applies it; int8 logits are pre-softmax).</summary>
    public bool OutputSoftmax { get; }
    public IReadOnlyList<Node> Nodes { get; }
    public IReadOnlyList<LayerSummary> Summaries { get; }
    public string OutputNode { get; }
    public Shape OutputShape { get; }
    public long Parameters { get; }
    public long Macs { get; }

    public Node this[string nodeName] => _byName.TryGetValue(nodeName, out var n) ? n
        : throw new KeyNotFoundException($"network '{Name}' has no node '{nodeName}'");

    public IEnumerable<Node> Convolutions => Nodes.Where(n => n.Op is ConvLayer);

    /// <summary>
    /// Whether the engine schedule and RTL run <paramref name="node"/>: every operator of the
    /// description today (convs of any group count, pools, concat, add, activations, shuffle, slice,
    /// scale); the guard stays so a layer type added to the description cannot reach the schedule
    /// before the engine runs it.
    /// </summary>
    public static bool RunsOnEngine(Node node) => node.Op switch
    {
        ConvLayer => true,
        MaxPoolLayer or ConcatLayer or GlobalAvgPoolLayer => true,
        AddLayer or ActivationLayer or ChannelShuffleLayer or ChannelSliceLayer or ScaleLayer or AvgPoolLayer => true,
        _ => false,
    };

    /// <summary>Throws a <see cref="NetworkException"/> naming the first node the int8 path cannot run (<see cref="RunsOnEngine"/>).</summary>
    public void RequireEngineOperators(string consumer)
    {
        var node = Nodes.FirstOrDefault(n => !RunsOnEngine(n));
        if (node is null) return;
        string what = node.Op is ConvLayer c ? $"a convolution with {c.Groups} groups" : $"a '{node.Op.Kind}' layer";
        throw new NetworkException(node.Name, "type",
            $"{consumer} does not run {what} yet");
    }

    /// <summary>The kind a layer table shows: grouped convolutions say so, since their cost differs from a plain conv's.</summary>
    static string SummaryKind(Layer layer, Node first) => layer switch
    {
        ConvLayer { Groups: > 1 } c when c.Groups == first.Input.Channels && c.Groups == c.OutChannels => "dwconv",
        ConvLayer { Groups: > 1 } c => $"conv g={c.Groups}",
        _ => layer.Kind,
    };

    /// <summary>Same layers on a different input size (shapes re-inferred).</summary>
    public Network WithInput(Shape input) => new(Name, input, Layers, OutputSoftmax);

    /// <summary>Output size of a convolution or floor-mode pooling window along one axis.</summary>
    public static int OutputSize(int size, int kernel, int stride, int pad, bool ceilMode)
    {
        int span = size + 2 * pad - kernel;
        if (span < 0) return 0;
        int outSize = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        // Ceil mode never starts a window inside the right padding (PyTorch and Caffe agree).
        if (ceilMode && (outSize - 1) * stride >= size + pad) outSize--;
        return outSize;
    }

    private static void RequireSingle(Layer layer, List<string> inputs)
    {
        if (inputs.Count != 1)
            throw new NetworkException(layer.Name, "inputs", $"a {layer.Kind} layer takes exactly one input, got {inputs.Count}");
    }

    private static void Positive(string layer, string field, int value)
    {
        if (value < 1) throw new NetworkException(layer, field, $"must be at least 1, got {value}");
    }

    private static Node MakeConv(ConvLayer c, string input, Shape inShape, string group)
    {
        Positive(c.Name, "outChannels", c.OutChannels);
        Positive(c.Name, "kernel", c.KernelSize);
        Positive(c.Name, "stride", c.Stride);
        Positive(c.Name, "groups", c.Groups);
        if (inShape.Channels % c.Groups != 0 || c.OutChannels % c.Groups != 0)
            throw new NetworkException(c.Name, "groups", $"{inShape.Channels} input and {c.OutChannels} output channels must both split into {c.Groups} groups");
        // Padding may exceed the kernel: Caffe SqueezeNet 1.0 pads its 1x1 conv10 by 1.
        if (c.Padding < 0)
            throw new NetworkException(c.Name, "pad", $"padding must be non-negative, got {c.Padding}");
        int oh = OutputSize(inShape.Height, c.KernelSize, c.Stride, c.Padding, false);
        int ow = OutputSize(inShape.Width, c.KernelSize, c.Stride, c.Padding, false);
        if (oh < 1 || ow < 1)
            throw new NetworkException(c.Name, "kernel", $"a {c.KernelSize}x{c.KernelSize} kernel with pad {c.Padding} does not fit the {inShape} input");
        long weights = (long)c.OutChannels * (inShape.Channels / c.Groups) * c.KernelSize * c.KernelSize;
        var output = new Shape(c.OutChannels, oh, ow);
        long macs = weights * oh * ow;
        return new Node(c.Name, c, [input], [inShape], output, weights + c.OutChannels, macs, group);
    }

    private static Node MakePool(MaxPoolLayer p, string input, Shape inShape)
    {
        Positive(p.Name, "kernel", p.KernelSize);
        Positive(p.Name, "stride", p.Stride);
        if (p.Padding < 0 || 2 * p.Padding > p.KernelSize)
            throw new NetworkException(p.Name, "pad", $"padding {p.Padding} must be in [0, kernel/2]");
        int oh = OutputSize(inShape.Height, p.KernelSize, p.Stride, p.Padding, p.CeilMode);
        int ow = OutputSize(inShape.Width, p.KernelSize, p.Stride, p.Padding, p.CeilMode);
        if (oh < 1 || ow < 1)
            throw new NetworkException(p.Name, "kernel", $"a {p.KernelSize}x{p.KernelSize} window does not fit the {inShape} input");
        return new Node(p.Name, p, [input], [inShape], inShape with { Height = oh, Width = ow }, 0, 0, p.Name);
    }

    private static Node MakeAvgPool(AvgPoolLayer a, string input, Shape inShape)
    {
        Positive(a.Name, "kernel", a.KernelSize);
        Positive(a.Name, "stride", a.Stride);
        if (a.Padding < 0 || 2 * a.Padding > a.KernelSize)
            throw new NetworkException(a.Name, "pad", $"padding {a.Padding} must be in [0, kernel/2]");
        int oh = OutputSize(inShape.Height, a.KernelSize, a.Stride, a.Padding, false);
        int ow = OutputSize(inShape.Width, a.KernelSize, a.Stride, a.Padding, false);
        if (oh < 1 || ow < 1)
            throw new NetworkException(a.Name, "kernel", $"a {a.KernelSize}x{a.KernelSize} window does not fit the {inShape} input");
        return new Node(a.Name, a, [input], [inShape], inShape with { Height = oh, Width = ow }, 0, 0, a.Name);
    }

    private static Node MakeConcat(ConcatLayer cat, string name, IReadOnlyList<string> inputs, IReadOnlyList<Shape> shapes, string group)
    {
        if (inputs.Count < 2)
            throw new NetworkException(name, "inputs", $"concat needs at least two inputs, got {inputs.Count}");
        for (int i = 1; i < shapes.Count; i++)
            if (shapes[i].Height != shapes[0].Height || shapes[i].Width != shapes[0].Width)
                throw new NetworkException(name, "inputs", $"input '{inputs[i]}' is {shapes[i]} but '{inputs[0]}' is {shapes[0]}: heights and widths must match");
        var output = new Shape(shapes.Sum(s => s.Channels), shapes[0].Height, shapes[0].Width);
        return new Node(name, cat, inputs, shapes, output, 0, 0, group);
    }
}
