using Accel.Golden;
using Accel.Golden.Testing;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Xunit;

namespace Accel.Golden.Tests;

public class ClassificationTests
{
    private static readonly Network Net = new("t", new Shape(2, 2, 2), [new ConvLayer("conv", 4, 1), new GlobalAvgPoolLayer("pool")]);

    private static GoldenResult Result(sbyte[] logits, sbyte[] convOut) => new(
        new Dictionary<string, Int8Tensor>
        {
            ["conv"] = new(new Shape(4, 2, 2), convOut, 1f),
            ["pool"] = new(new Shape(4, 1, 1), logits, 1f),
        },
        new Int8Tensor(new Shape(4, 1, 1), logits, 1f));

    [Fact]
    public void TiesInTheInt8LogitRankByThePoolSum()
    {
        var model = RandomQuantizedModel.Create(Net, 1);
        // Classes 0 and 2 tie at 5; class 2's pool sum is larger (9 vs 8), so it ranks first.
        var r = Result([5, 1, 5, 3], [2, 2, 2, 2, 0, 1, 0, 0, 3, 2, 2, 2, 1, 1, 1, 1]);
        Assert.Equal([2, 0, 3, 1], Classification.TopK(model, r, 4));
        Assert.Equal([8, 1, 9, 4], Classification.PoolSums(Net, r)!);
    }

    [Fact]
    public void EqualSumsFallBackToTheLowerIndex()
    {
        var model = RandomQuantizedModel.Create(Net, 1);
        var r = Result([5, 5, 5, 5], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
        Assert.Equal([0, 1, 2, 3], Classification.TopK(model, r, 4));
    }

    [Fact]
    public void TheInt8LogitAlwaysDecidesFirst()
    {
        var model = RandomQuantizedModel.Create(Net, 1);
        // Class 1 has the larger sum but the smaller logit: the logit wins.
        var r = Result([6, 5, 0, 0], [0, 0, 0, 1, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal([0, 1], Classification.TopK(model, r, 2));
    }
}
