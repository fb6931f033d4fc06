using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Tests;
using CsCheck;
using Xunit;

namespace Accel.Compression.Tests;

/// <summary>Block pruning (--block RxC): whole pass blocks, L2 ranking, density targets, .eie round trip.</summary>
public class BlockPruningTests
{
    private static float[] RandomWeights(Random rng, int n)
    {
        var w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * (rng.Next(4) == 0 ? 3 : 1);
        return w;
    }

    private static double SquaredNorm(float[] w, (int Oc, int OcCount, int Ic, int IcCount, int Tap) b, int cin, int taps) =>
        BlockPruning.Indices(b, cin, taps).Sum(i => (double)w[i] * w[i]);

    [Fact]
    public void Every_block_is_all_zero_or_untouched_the_target_is_met_within_one_block_and_kept_blocks_outrank_pruned_ones()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 40], Gen.Int[0, 1].Select(i => 1 + 2 * i), Gen.Int[1, 17], Gen.Int[1, 17], Gen.Double[0.01, 1], Gen.Int)
            .Sample((cout, cin, k, rows, cols, density, seed) =>
            {
                int taps = k * k;
                var block = new PassBlock(rows, cols);
                var w = RandomWeights(new Random(seed), cout * cin * taps);
                var p = BlockPruning.Prune(w, cout, cin, k, density, block);
                long target = (long)Math.Round(density * w.Length, MidpointRounding.AwayFromZero);
                long kept = 0;
                double smallestKept = double.MaxValue, largestPruned = 0;
                foreach (var b in BlockPruning.Blocks(cout, cin, k, block))
                {
                    var idx = BlockPruning.Indices(b, cin, taps).ToList();
                    bool zero = idx.All(i => p[i] == 0), same = idx.All(i => p[i] == w[i]);
                    Assert.True(zero || same, $"block oc {b.Oc} ic {b.Ic} tap {b.Tap} is partly pruned");
                    double norm = SquaredNorm(w, b, cin, taps);
                    if (same) { kept += idx.Count; smallestKept = Math.Min(smallestKept, norm); }
                    else largestPruned = Math.Max(largestPruned, norm);
                }
                Assert.InRange(kept, target - rows * cols, target + rows * cols);
                Assert.True(largestPruned <= smallestKept || kept == 0, "a pruned block has a larger L2 norm than a kept one");
            }, iter: 300);
    }

    [Fact]
    public void Blocks_follow_logical_channel_order_and_count_as_the_engine_passes()
    {
        // 40 output channels, 24 input channels, 3x3, 16x16: tiles 0-15, 16-31, 32-39; groups 0-15, 16-23.
        var blocks = BlockPruning.Blocks(40, 24, 3, new PassBlock(16, 16)).ToList();
        Assert.Equal(3 * 2 * 9, blocks.Count);
        Assert.Equal((32, 8, 16, 8, 8), blocks[^1]);
        Assert.Equal((0, 16, 16, 8, 0), blocks[9]);
        var w = new sbyte[40 * 24 * 9];
        w[(17 * 24 + 3) * 9 + 4] = 5; // oc 17 (tile 1), ic 3 (group 0), tap 4
        Assert.Equal((blocks.Count - 1, blocks.Count), BlockPruning.ZeroBlocks(w, 40, 24, 3, new PassBlock(16, 16)));
        Assert.Equal(new PassBlock(16, 8), PassBlock.TryParse("16x8"));
        Assert.Null(PassBlock.TryParse("16"));
        Assert.Null(PassBlock.TryParse("0x4"));
    }

    /// <summary>A network with a 3x3 and a 1x1 conv whose channels are not multiples of the block.</summary>
    private static readonly Network Tiny = new("tiny", new Shape(20, 6, 6),
        [new ConvLayer("a", 24, 3, Padding: 1), new ConvLayer("b", 10, 1, Relu: false)]);

    [Fact]
    public void Block_pruned_layers_round_trip_through_the_container_with_their_zero_blocks()
    {
        Gen.Select(Gen.Int[EieLayer.MinBits, EieLayer.MaxBits], Gen.Double[0.05, 1], Gen.Bool, Gen.Int).Sample((bits, density, huffman, seed) =>
        {
            var rng = new Random(seed);
            var block = new PassBlock(8, 8);
            var convs = new Dictionary<string, QuantizedConv>();
            var zeroBlocks = new Dictionary<string, (int, int)>();
            foreach (var node in Tiny.Convolutions)
            {
                var (cout, cin, k) = BlockPruning.Shape(node);
                var f = BlockPruning.Prune(RandomWeights(rng, cout * cin * k * k), cout, cin, k, density, block);
                float max = f.Max(MathF.Abs);
                var q = WeightSharing.Share(f.Select(v => Int8Arithmetic.QuantizeWeight(v, max > 0 ? max / 127 : 1)).ToArray(), bits);
                zeroBlocks[node.Name] = BlockPruning.ZeroBlocks(q, cout, cin, k, block);
                convs[node.Name] = new QuantizedConv(node.Name, q, new int[cout], Enumerable.Repeat(new Requant(1 << 15, 20), cout).ToArray(), Enumerable.Repeat(0.01f, cout).ToArray());
            }
            var model = new QuantizedModel(Tiny, "torchvision", new Dictionary<string, float> { [Network.InputName] = 0.1f, ["a"] = 0.05f, ["b"] = 0.2f },
                convs, new Dictionary<string, Requant>());
            var back = EieFile.Deserialize(EieFile.Serialize(EieModel.Encode(model, bits, huffman)), "block.eie").Model;
            foreach (var node in Tiny.Convolutions)
            {
                Assert.Equal(convs[node.Name].Weights, back.Convs[node.Name].Weights);
                var (cout, cin, k) = BlockPruning.Shape(node);
                Assert.Equal(zeroBlocks[node.Name], BlockPruning.ZeroBlocks(back.Convs[node.Name].Weights, cout, cin, k, block));
            }
        }, iter: 100);
    }

    [Fact]
    public void SqueezeNet_1_1_is_recognised_and_1_0_keeps_table_1()
    {
        var v11 = BuiltinNetworks.SqueezeNet1_1();
        Assert.True(DensityConfig.IsSqueezeNet11(v11));
        Assert.Same(DensityConfig.SqueezeNet11, DensityConfig.Default(v11));
        foreach (bool caffe in new[] { false, true })
        {
            var v10 = BuiltinNetworks.SqueezeNet1_0(caffe);
            Assert.False(DensityConfig.IsSqueezeNet11(v10));
            Assert.Same(DensityConfig.Paper, DensityConfig.Default(v10));
            Assert.Equal(0.33, DensityConfig.Default(v10).For(v10["fire2/expand3x3"]));
        }
        var profile = DensityConfig.Default(v11);
        Assert.Equal(1.0, profile.For(v11["conv1"]));
        for (int f = 2; f <= 9; f++)
        {
            Assert.Equal(1.0, profile.For(v11[$"fire{f}/squeeze1x1"]));
            Assert.Equal(1.0, profile.For(v11[$"fire{f}/expand1x1"]));
            Assert.Equal(0.8, profile.For(v11[$"fire{f}/expand3x3"]));
        }
        Assert.Equal(0.4, profile.For(v11["conv10"]));
    }

    [RequiresDataFact]
    public void The_onnx_files_get_their_own_defaults()
    {
        var v11 = Accel.Onnx.OnnxImporter.Load(Accel.Model.Data.SharedData.Find("models", "squeezenet1_1.onnx")!).Network;
        Assert.Same(DensityConfig.SqueezeNet11, DensityConfig.Default(v11));
        var v10 = Accel.Onnx.OnnxImporter.Load(Accel.Model.Data.SharedData.Find("models", "squeezenet1_0_deep_compression.onnx")!).Network;
        Assert.Same(DensityConfig.Paper, DensityConfig.Default(v10));
    }
}
