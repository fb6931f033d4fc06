namespace Accel.Model.Networks;

/// <summary>
/// The compact networks beyond plain SqueezeNet: SqueezeNet 1.0 with the paper's simple and complex
/// bypass connections, MobileNet v1 (width multiplier and resolution), MobileNet v2, ShuffleNet v1
/// (groups) and ShuffleNet v2 (x0.5, x1.0). Batch norm is folded into each convolution's bias, and
/// the classifiers are 1x1 convolutions after the global average pool.
/// </summary>
public static class CompactNetworks
{
    /// <summary>
    /// SqueezeNet 1.0 (torchvision layout, 224x224) with bypass connections. Simple bypass adds
    /// the input of fire3, fire5, fire7 and fire9 to their output (the modules whose input and
    /// output channel counts agree). Complex bypass also bypasses fire2, fire4, fire6 and fire8,
    /// through a 1x1 convolution (no ReLU) that gives the input the module's output channels.
    /// </summary>
    public static Network SqueezeNetBypass(bool complex)
    {
        var layers = new List<Layer>
        {
            new ConvLayer("conv1", 96, 7, Stride: 2),
            new MaxPoolLayer("pool1", 3, 2),
        };
        // (name, squeeze, expand, pool after)
        (string Name, int Squeeze, int Expand, bool PoolAfter)[] fires =
        [
            ("fire2", 16, 64, false), ("fire3", 16, 64, false), ("fire4", 32, 128, true), ("fire5", 32, 128, false),
            ("fire6", 48, 192, false), ("fire7", 48, 192, false), ("fire8", 64, 256, true), ("fire9", 64, 256, false),
        ];
        string previous = "pool1";
        for (int i = 0; i < fires.Length; i++)
        {
            var (name, squeeze, expand, poolAfter) = fires[i];
            bool simple = i % 2 == 1;
            layers.Add(new FireLayer(name, squeeze, expand, expand) { Inputs = [previous] });
            string output = name;
            if (simple || complex)
            {
                string shortcut = previous;
                if (!simple)
                {
                    layers.Add(new ConvLayer($"{name}/bypass1x1", 2 * expand, 1, Relu: false) { Inputs = [previous] });
                    shortcut = $"{name}/bypass1x1";
                }
                output = $"{name}/bypass";
                layers.Add(new AddLayer(output) { Inputs = [name, shortcut] });
            }
            if (poolAfter)
            {
                string pool = $"pool{name[4..]}";
                layers.Add(new MaxPoolLayer(pool, 3, 2) { Inputs = [output] });
                output = pool;
            }
            previous = output;
        }
        layers.Add(new DropoutLayer("drop9") { Inputs = [previous] });
        layers.Add(new ConvLayer("conv10", 1000, 1));
        layers.Add(new GlobalAvgPoolLayer("pool10"));
        return new Network(complex ? BuiltinNetworks.SqueezeNet10ComplexBypass : BuiltinNetworks.SqueezeNet10Bypass, new Shape(3, 224, 224), layers);
    }

    /// <summary>
    /// MobileNet v1 with width multiplier <paramref name="alpha"/> and input <paramref name="resolution"/>:
    /// a 3x3 stride-2 conv, then 13 depthwise-separable blocks (3x3 depthwise + ReLU, 1x1 pointwise
    /// + ReLU), the global average pool and a 1x1 classifier. 1.0 at 224: about 569 M MACs, 4.2 M parameters.
    /// </summary>
    public static Network MobileNetV1(double alpha = 1.0, int resolution = 224)
    {
        if (alpha is <= 0 or > 4) throw new NetworkException(BuiltinNetworks.MobileNetV1, "alpha", $"width multiplier {alpha} must be in (0, 4]");
        if (resolution < 32) throw new NetworkException(BuiltinNetworks.MobileNetV1, "resolution", $"input resolution {resolution} must be at least 32");
        int C(int channels) => Math.Max(1, (int)(channels * alpha));
        var layers = new List<Layer> { new ConvLayer("conv1", C(32), 3, Stride: 2, Padding: 1) };
        (int Out, int Stride)[] blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)];
        int channels = C(32);
        for (int i = 0; i < blocks.Length; i++)
        {
            var (outChannels, stride) = blocks[i];
            layers.Add(new ConvLayer($"block{i + 1}/dw", channels, 3, stride, 1) { Groups = channels });
            layers.Add(new ConvLayer($"block{i + 1}/pw", C(outChannels), 1));
            channels = C(outChannels);
        }
        layers.Add(new GlobalAvgPoolLayer("pool"));
        layers.Add(new ConvLayer("fc", 1000, 1, Relu: false));
        string name = alpha == 1.0 && resolution == 224 ? BuiltinNetworks.MobileNetV1 : $"{BuiltinNetworks.MobileNetV1}_{alpha:0.###}_{resolution}";
        return new Network(name, new Shape(3, resolution, resolution), layers);
    }

    /// <summary>
    /// MobileNet v2 (1.0, 224): inverted residual blocks (1x1 expansion + ReLU6, 3x3 depthwise +
    /// ReLU6, linear 1x1 projection; a residual add where stride is 1 and the channels agree), a
    /// 1x1 conv to 1280 + ReLU6, the global average pool and a 1x1 classifier. About 300 M MACs, 3.5 M parameters.
    /// </summary>
    public static Network MobileNetV2()
    {
        var layers = new List<Layer>
        {
            new ConvLayer("conv1", 32, 3, Stride: 2, Padding: 1, Relu: false),
            new ActivationLayer("conv1/relu6", ActivationKind.Relu6),
        };
        (int Expansion, int Out, int Repeats, int Stride)[] stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];
        int channels = 32, block = 0;
        string previous = "conv1/relu6";
        foreach (var (expansion, outChannels, repeats, firstStride) in stages)
            for (int r = 0; r < repeats; r++)
            {
                string b = $"block{++block}";
                int stride = r == 0 ? firstStride : 1;
                int hidden = channels * expansion;
                string blockInput = previous, x = previous;
                if (expansion != 1)
                {
                    layers.Add(new ConvLayer($"{b}/expand", hidden, 1, Relu: false) { Inputs = [x] });
                    layers.Add(new ActivationLayer($"{b}/expand/relu6", ActivationKind.Relu6));
                    x = $"{b}/expand/relu6";
                }
                layers.Add(new ConvLayer($"{b}/dw", hidden, 3, stride, 1, Relu: false) { Groups = hidden, Inputs = [x] });
                layers.Add(new ActivationLayer($"{b}/dw/relu6", ActivationKind.Relu6));
                layers.Add(new ConvLayer($"{b}/project", outChannels, 1, Relu: false));
                previous = $"{b}/project";
                if (stride == 1 && channels == outChannels)
                {
                    layers.Add(new AddLayer($"{b}/add") { Inputs = [previous, blockInput] });
                    previous = $"{b}/add";
                }
                channels = outChannels;
            }
        layers.Add(new ConvLayer("conv_last", 1280, 1, Relu: false) { Inputs = [previous] });
        layers.Add(new ActivationLayer("conv_last/relu6", ActivationKind.Relu6));
        layers.Add(new GlobalAvgPoolLayer("pool"));
        layers.Add(new ConvLayer("fc", 1000, 1, Relu: false));
        return new Network(BuiltinNetworks.MobileNetV2, new Shape(3, 224, 224), layers);
    }

    // Both ShuffleNets: a 3x3 stride-2 conv to 24 channels, a 3x3 stride-2 max pool, then stages 2..4 of 4, 8 and 4 units.
    private static List<Layer> ShuffleNetStem() =>
    [
        new ConvLayer("conv1", 24, 3, Stride: 2, Padding: 1),
        new MaxPoolLayer("pool1", 3, 2, 1, CeilMode: false),
    ];

    private static readonly int[] ShuffleNetRepeats = [4, 8, 4];

    /// <summary>Output channels of ShuffleNet v1's stages 2..4 for each group count (the paper's Table 1).</summary>
    public static IReadOnlyDictionary<int, int[]> ShuffleNetV1Channels { get; } = new Dictionary<int, int[]>
    {
        [1] = [144, 288, 576], [2] = [200, 400, 800], [3] = [240, 480, 960], [4] = [272, 544, 1088], [8] = [384, 768, 1536],
    };

    /// <summary>
    /// ShuffleNet v1 (1x, 224) with <paramref name="groups"/> groups: a 3x3 stride-2 conv and a max
    /// pool, stages of 4, 8 and 4 units (1x1 group conv + ReLU, channel shuffle, 3x3 depthwise,
    /// 1x1 group conv; an add + ReLU, or for the first unit of a stage a 3x3 stride-2 average pool
    /// on the shortcut, a concat and a ReLU), the global average pool and a 1x1 classifier. The
    /// first 1x1 conv of stage 2 is not grouped (24 input channels). g = 3: about 140 M MACs.
    /// </summary>
    public static Network ShuffleNetV1(int groups = 3)
    {
        if (!ShuffleNetV1Channels.TryGetValue(groups, out var stageChannels))
            throw new NetworkException(BuiltinNetworks.ShuffleNetV1, "groups", $"ShuffleNet v1 is defined for 1, 2, 3, 4 or 8 groups, got {groups}");
        var layers = ShuffleNetStem();
        int channels = 24;
        string previous = "pool1";
        for (int stage = 0; stage < 3; stage++)
            for (int r = 0; r < ShuffleNetRepeats[stage]; r++)
            {
                string u = $"stage{stage + 2}/unit{r + 1}";
                bool down = r == 0;
                int outChannels = stageChannels[stage];
                int branch = down ? outChannels - channels : outChannels;
                int bottleneck = outChannels / 4;
                int firstGroups = stage == 0 && r == 0 ? 1 : groups;
                layers.Add(new ConvLayer($"{u}/gconv1", bottleneck, 1) { Groups = firstGroups, Inputs = [previous] });
                layers.Add(new ChannelShuffleLayer($"{u}/shuffle", groups));
                layers.Add(new ConvLayer($"{u}/dw", bottleneck, 3, down ? 2 : 1, 1, Relu: false) { Groups = bottleneck });
                layers.Add(new ConvLayer($"{u}/gconv2", branch, 1, Relu: false) { Groups = groups });
                if (down)
                {
                    layers.Add(new AvgPoolLayer($"{u}/shortcut", 3, 2, 1) { Inputs = [previous] });
                    layers.Add(new ConcatLayer($"{u}/concat") { Inputs = [$"{u}/shortcut", $"{u}/gconv2"] });
                    layers.Add(new ActivationLayer($"{u}/relu", ActivationKind.Relu));
                    previous = $"{u}/relu";
                }
                else
                {
                    layers.Add(new AddLayer($"{u}/add", Relu: true) { Inputs = [$"{u}/gconv2", previous] });
                    previous = $"{u}/add";
                }
                channels = outChannels;
            }
        layers.Add(new GlobalAvgPoolLayer("pool") { Inputs = [previous] });
        layers.Add(new ConvLayer("fc", 1000, 1, Relu: false));
        return new Network(groups == 3 ? BuiltinNetworks.ShuffleNetV1 : $"{BuiltinNetworks.ShuffleNetV1}_g{groups}", new Shape(3, 224, 224), layers);
    }

    /// <summary>
    /// ShuffleNet v2 (x0.5 or x1.0, 224): a 3x3 stride-2 conv and a max pool, stages of 4, 8 and 4
    /// units (the first of each takes both branches at stride 2; the others split the channels in
    /// half, run 1x1 conv + ReLU, 3x3 depthwise, 1x1 conv + ReLU on one half and concatenate), each
    /// unit ending in a channel shuffle of 2 groups; a 1x1 conv to 1024, the global average pool and a
    /// 1x1 classifier. x1.0: about 146 M MACs (the paper's "FLOPs"), 2.3 M parameters; x0.5: 41 M.
    /// </summary>
    public static Network ShuffleNetV2(double width = 1.0)
    {
        int[] stageChannels = width switch
        {
            0.5 => [48, 96, 192],
            1.0 => [116, 232, 464],
            1.5 => [176, 352, 704],
            2.0 => [244, 488, 976],
            _ => throw new NetworkException(BuiltinNetworks.ShuffleNetV2, "width", $"ShuffleNet v2 is defined at x0.5, x1.0, x1.5 and x2.0, got x{width}"),
        };
        var layers = ShuffleNetStem();
        int channels = 24;
        string previous = "pool1";
        for (int stage = 0; stage < 3; stage++)
            for (int r = 0; r < ShuffleNetRepeats[stage]; r++)
            {
                string u = $"stage{stage + 2}/unit{r + 1}";
                int outChannels = stageChannels[stage], half = outChannels / 2;
                string left, rightInput;
                if (r == 0)
                {
                    layers.Add(new ConvLayer($"{u}/left/dw", channels, 3, 2, 1, Relu: false) { Groups = channels, Inputs = [previous] });
                    layers.Add(new ConvLayer($"{u}/left/pw", half, 1));
                    left = $"{u}/left/pw";
                    rightInput = previous;
                }
                else
                {
                    layers.Add(new ChannelSliceLayer($"{u}/split/left", 0, channels / 2) { Inputs = [previous] });
                    layers.Add(new ChannelSliceLayer($"{u}/split/right", channels / 2, channels - channels / 2) { Inputs = [previous] });
                    left = $"{u}/split/left";
                    rightInput = $"{u}/split/right";
                }
                layers.Add(new ConvLayer($"{u}/right/pw1", half, 1) { Inputs = [rightInput] });
                layers.Add(new ConvLayer($"{u}/right/dw", half, 3, r == 0 ? 2 : 1, 1, Relu: false) { Groups = half });
                layers.Add(new ConvLayer($"{u}/right/pw2", outChannels - half, 1));
                layers.Add(new ConcatLayer($"{u}/concat") { Inputs = [left, $"{u}/right/pw2"] });
                layers.Add(new ChannelShuffleLayer($"{u}/shuffle", 2));
                previous = $"{u}/shuffle";
                channels = outChannels;
            }
        layers.Add(new ConvLayer("conv5", 1024, 1) { Inputs = [previous] });
        layers.Add(new GlobalAvgPoolLayer("pool"));
        layers.Add(new ConvLayer("fc", 1000, 1, Relu: false));
        string name = width == 1.0 ? BuiltinNetworks.ShuffleNetV2 : $"{BuiltinNetworks.ShuffleNetV2}_x{width:0.0}";
        return new Network(name, new Shape(3, 224, 224), layers);
    }
}
