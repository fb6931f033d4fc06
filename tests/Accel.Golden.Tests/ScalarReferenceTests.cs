using Accel.Golden;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Xunit;

namespace Accel.Golden.Tests;

/// <summary>The oracle against cases worked out by hand.</summary>
public sealed class ScalarReferenceTests
{
    [Fact]
    public void Conv1x1_on_2x2_by_hand()
    {
        // x = [1 2; 3 4]; oc0: w=2, bias 10; oc1: w=-3, bias 0; M=1, S=1: y = (acc + 1) >> 1.
        sbyte[] x = [1, 2, 3, 4];
        sbyte[] w = [2, -3];
        int[] bias = [10, 0];
        Requant[] rq = [new(1, 1), new(1, 1)];
        var y = ScalarReference.Conv(x, new Shape(1, 2, 2), false, 2, 1, 1, 0, w, bias, rq, -128, 127);
        // oc0: acc 12, 14, 16, 18 -> 6, 7, 8, 9 ; oc1: acc -3, -6, -9, -12 -> -1, -3, -4, -6 (floor of x.5 up).
        Assert.Equal(new sbyte[] { 6, 7, 8, 9, -1, -3, -4, -6 }, y);
        var yr = ScalarReference.Conv(x, new Shape(1, 2, 2), false, 2, 1, 1, 0, w, bias, rq, 0, 127);
        Assert.Equal(new sbyte[] { 6, 7, 8, 9, 0, 0, 0, 0 }, yr);
    }

    [Fact]
    public void Conv3x3_pad1_on_1x1_uses_only_the_centre_tap()
    {
        sbyte[] w = [100, 100, 100, 100, 5, 100, 100, 100, 100];
        var y = ScalarReference.Conv([7], new Shape(1, 1, 1), false, 1, 3, 1, 1, w, [1], [new Requant(1, 1)], -128, 127);
        Assert.Equal(new sbyte[] { 18 }, y); // acc = 1 + 35 = 36 -> (36 + 1) >> 1 = 18
    }

    [Fact]
    public void Conv_stride2_by_hand()
    {
        // 1x3x3 input 1..9, 2x2 kernel of ones, stride 2, no pad -> one output: 1+2+4+5 = 12; M=1,S=1 -> 6.
        sbyte[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var y = ScalarReference.Conv(x, new Shape(1, 3, 3), false, 1, 2, 2, 0, [1, 1, 1, 1], [0], [new Requant(1, 1)], 0, 127);
        Assert.Equal(new sbyte[] { 6 }, y);
    }

    [Fact]
    public void Requant_saturates_and_handles_M_extremes()
    {
        sbyte[] x = [1];
        // acc = 1000 * 65535 / 2 -> 127; acc = -1000 -> -128; with ReLU -> 0.
        Assert.Equal(new sbyte[] { 127 }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [0], [1000], [new Requant(65535, 1)], -128, 127));
        Assert.Equal(new sbyte[] { -128 }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [0], [-1000], [new Requant(65535, 1)], -128, 127));
        Assert.Equal(new sbyte[] { 0 }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [0], [-1000], [new Requant(65535, 1)], 0, 127));
        // M = 0: (0 + 2^(S-1)) >> S = 0 for every S.
        Assert.Equal(new sbyte[] { 0 }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [127], [1 << 30], [new Requant(0, 1)], -128, 127));
        // Largest shift: 2^30 * 65535 >> 62 rounds to 0; largest acc with S = 47 gives 2^30*65535/2^47 ~ 0.5 -> 1 (half up).
        Assert.Equal(new sbyte[] { 0 }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [0], [1 << 30], [new Requant(65535, 62)], -128, 127));
        Assert.Equal(new sbyte[] { 1 }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [0], [1 << 30], [new Requant(32768, 46)], -128, 127));
    }

    [Fact]
    public void MaxPool_ceil_mode_edge_windows_never_take_padding()
    {
        // 3x3 all negative, k=2 s=2 ceil: windows {0,1}x{0,1}, {0,1}x{2}, {2}x{0,1}, {2}x{2}.
        sbyte[] x = [-1, -2, -3, -4, -5, -6, -7, -8, -9];
        var y = ScalarReference.MaxPool(x, new Shape(1, 3, 3), false, 2, 2, 0, ceilMode: true);
        Assert.Equal(new sbyte[] { -1, -3, -7, -9 }, y);
        var floor = ScalarReference.MaxPool(x, new Shape(1, 3, 3), false, 2, 2, 0, ceilMode: false);
        Assert.Equal(new sbyte[] { -1 }, floor);
        // Padding 1, k=3, s=2 on 2x2 all -128: padding never wins, so every output is -128.
        var p = ScalarReference.MaxPool([-128, -128, -128, -128], new Shape(1, 2, 2), false, 3, 2, 1, ceilMode: true);
        Assert.All(p, v => Assert.Equal(-128, v));
    }

    [Fact]
    public void GlobalAvgPool_rounds_half_up()
    {
        // sum 10 over 4 -> 2.5 -> 3 with M = 2^15, S = 17; a channel of -1s: sum -4 -> -1.
        var y = ScalarReference.GlobalAvgPool([1, 2, 3, 4, -1, -1, -1, -1], new Shape(2, 2, 2), false, new Requant(32768, 17));
        Assert.Equal(new sbyte[] { 3, -1 }, y);
    }

    [Fact]
    public void Concat_places_channels_in_input_order()
    {
        Assert.Equal(new sbyte[] { 1, 2, 3, 4, 5, 6 }, ScalarReference.Concat([[1, 2], [3, 4, 5, 6]]));
    }

    [Fact]
    public void Run_reports_every_node_and_the_input()
    {
        var net = new Network("t", new Shape(2, 5, 5), [new FireLayer("fire", 2, 3, 3), new GlobalAvgPoolLayer("gap")]);
        var model = Testing.RandomQuantizedModel.Create(net, 3);
        var r = new ScalarReference().Run(model, Testing.RandomQuantizedModel.Input(net, 4));
        Assert.Equal(["input", .. net.Nodes.Select(n => n.Name)], r.Activations.Keys);
        Assert.Same(r.Activations["gap"], r.Output);
        Assert.Equal(new Shape(6, 1, 1), r.Output.Shape);
        // The concat is exactly expand1x1 then expand3x3.
        Assert.Equal(r.Activations["fire/expand1x1"].Data.Concat(r.Activations["fire/expand3x3"].Data), r.Activations["fire/concat"].Data);
    }

    [Fact]
    public void Unsigned_input_bytes_read_as_0_to_255()
    {
        // The byte 0xC8 is -56 signed but 200 in an unsigned tensor (rule LOAD_ACTIVATION).
        sbyte[] x = [unchecked((sbyte)200)];
        Assert.Equal(new sbyte[] { 100 }, ScalarReference.Conv(x, new Shape(1, 1, 1), true, 1, 1, 1, 0, [1], [0], [new Requant(1, 1)], -128, 127));
        Assert.Equal(new sbyte[] { -28 }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [1], [0], [new Requant(1, 1)], -128, 127));
        // Max pool compares unsigned values: 200 beats 100; signed (-56) it loses to 100.
        sbyte[] quad = [unchecked((sbyte)200), 100, 100, 100];
        Assert.Equal(new sbyte[] { unchecked((sbyte)200) }, ScalarReference.MaxPool(quad, new Shape(1, 2, 2), true, 2, 2, 0, false));
        Assert.Equal(new sbyte[] { 100 }, ScalarReference.MaxPool(quad, new Shape(1, 2, 2), false, 2, 2, 0, false));
        sbyte[] pair = [unchecked((sbyte)200), 100];
        // Average pool sums unsigned values: (200 + 100) / 2 = 150 -> saturates at 127 in the signed output.
        Assert.Equal(new sbyte[] { 127 }, ScalarReference.GlobalAvgPool(pair, new Shape(1, 1, 2), true, new Requant(32768, 16)));
    }

    [Fact]
    public void Unsigned_output_clamps_to_0_and_255()
    {
        sbyte[] x = [1];
        Assert.Equal(new sbyte[] { unchecked((sbyte)255) }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [0], [1000], [new Requant(1, 1)], 0, 255));
        Assert.Equal(new sbyte[] { unchecked((sbyte)250) }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [0], [500], [new Requant(1, 1)], 0, 255));
        Assert.Equal(new sbyte[] { 0 }, ScalarReference.Conv(x, new Shape(1, 1, 1), false, 1, 1, 1, 0, [0], [-500], [new Requant(1, 1)], 0, 255));
    }
    [Fact]
    public void AvgPool_uses_the_multiplier_of_each_windows_tap_count()
    {
        // 3x3 input 1..9, 3x3 window, stride 1, pad 1; entry n - 1 is (M = n, S = 1), so y = (sum * n + 1) >> 1
        // shows which entry each window used: corner n = 4, edge n = 6, centre n = 9.
        sbyte[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var rq = Enumerable.Range(1, 9).Select(n => new Requant((ushort)n, 1)).ToArray();
        var y = ScalarReference.AvgPool(x, new Shape(1, 3, 3), false, 3, 1, 1, rq, -128, 127);
        Assert.Equal(24, y[0]);   // (1+2+4+5) * 4 / 2
        Assert.Equal(63, y[1]);   // (1+...+6) * 6 / 2
        Assert.Equal(127, y[4]);  // 45 * 9 / 2 saturates
    }

    [Fact]
    public void Lookup_indexes_by_the_stored_byte()
    {
        var table = Enumerable.Range(0, 256).Select(v => v / 2 - 64).ToArray();
        Assert.Equal(new sbyte[] { -64, 63, -1, 0 }, ScalarReference.Lookup([0, -1, 127, -128], table));
    }

    [Fact]
    public void Shuffle_and_slice_move_whole_planes()
    {
        sbyte[] x = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
        var shuffled = ScalarReference.Gather(x, new Shape(6, 1, 2), Enumerable.Range(0, 6).Select(o => CompactOperators.ShuffleSource(o, 6, 2)).ToArray());
        Assert.Equal(new sbyte[] { 0, 0, 3, 3, 1, 1, 4, 4, 2, 2, 5, 5 }, shuffled);
        Assert.Equal(new sbyte[] { 2, 2, 3, 3 }, ScalarReference.Gather(x, new Shape(6, 1, 2), [2, 3]));
    }

    [Fact]
    public void Add_and_scale_by_hand()
    {
        // 10 * 1 + (-4) * 0.5 = 8: (327680 - 65536 + 16384) >> 15 = 8 (8.5 floored).
        Assert.Equal(new sbyte[] { 8 }, ScalarReference.Add([10], false, [-4], false, new AddRequant(32768, 16384, 15), -128, 127));
        // The byte 200 of an unsigned gate: 10 * 200 / 16 = 125.
        Assert.Equal(new sbyte[] { 125, 0 }, ScalarReference.Scale([10, 0], new Shape(1, 1, 2), false, [unchecked((sbyte)200)], true, new Requant(1, 4), -128, 127));
        // Read signed the same byte is -56: (-560 + 8) >> 4 = -35 (floor).
        Assert.Equal(new sbyte[] { -35 }, ScalarReference.Scale([10], new Shape(1, 1, 1), false, [unchecked((sbyte)200)], false, new Requant(1, 4), -128, 127));
    }
}
